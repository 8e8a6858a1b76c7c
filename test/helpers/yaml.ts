/** A minimal campaign file around a trigger (and optional extra top-level settings), for tests. */
export function campaignYaml(id: string, trigger: Record<string, unknown>, extra = ""): string {
  const triggerLines = Object.entries(trigger)
    .map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`)
    .join("\n");
  return `id: ${id}
name: ${id}
category: winback
trigger:
${triggerLines}
${extra}
steps:
  - id: first
    type: email
    template: first
`;
}
