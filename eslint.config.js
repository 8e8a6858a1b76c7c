// @ts-check
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "scratch/", ".rekindle/", "migrations/"] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // Each file is checked with the nearest tsconfig.json: the browser code in src/console/client
      // with its own (DOM types), everything else with the root one.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-non-null-assertion": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // Off: Fastify hooks and handlers, and implementations of Promise-returning ports (Mailer.close,
      // a worker's start), are async by contract; without `async` Fastify calls a hook with a `done`
      // callback instead, so "no await inside" is no mistake here. no-floating-promises and
      // no-misused-promises stay on: those are the real bugs.
      "@typescript-eslint/require-await": "off",
    },
  },
  // bin/ and this file are plain JavaScript outside every tsconfig: linted without types.
  { files: ["**/*.js"], ...tseslint.configs.disableTypeChecked },
  {
    // Tests read JSON answers (`await response.json()`, `JSON.parse`) and assert on them with
    // expect(): an `any` there is checked by the assertion that follows, so flagging each access is churn.
    files: ["test/**/*.ts", "src/**/*.test.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);
