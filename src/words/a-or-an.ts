/**
 * Words that start with a vowel letter but a consonant sound ("a user", "a one-off") and words that
 * start with a silent h ("an hour"): the article follows the sound, not the letter.
 */
const CONSONANT_SOUND = /^(u[bcfhjkstv]?[aeiou]|uni|use|usu|ut[aeiou]|eu|ew|one|once|ouija)/i;
const VOWEL_SOUND = /^(hour|honest|honou?r|heir)/i;

/** "support" → "a support", "ops" → "an ops", "hour" → "an hour", "user" → "a user"; "A support" to start a sentence. */
export function aOrAn(word: string, options: { sentenceStart?: boolean } = {}): string {
  const vowel = VOWEL_SOUND.test(word) || (/^[aeiou]/i.test(word) && !CONSONANT_SOUND.test(word));
  const article = vowel ? "an" : "a";
  return `${options.sentenceStart ? article.replace(/^a/, "A") : article} ${word}`;
}
