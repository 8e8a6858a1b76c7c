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
  // ---- PENDING (issue 19): files not yet fixed for these rules, with their count of violations.
  // Remove a file from its list once it passes; remove the whole block once every list is empty.
  {
    files: [
      "src/console/client/dom.ts", // 1
      "src/console/client/views/customer.ts", // 2
    ],
    rules: { "@typescript-eslint/no-base-to-string": "off" },
  },
  {
    files: [
      "src/cli/campaign-commands.ts", // 3
      "src/cli/cancel-flow-report.ts", // 3
      "src/console/client/chart.ts", // 2
      "src/console/client/describe.ts", // 10
      "src/console/client/format.ts", // 1
      "src/console/client/main.ts", // 1
      "src/console/client/router.ts", // 2
      "src/console/client/views/audience.ts", // 1
      "src/console/client/views/campaign.ts", // 2
      "src/console/client/views/customer.ts", // 1
      "src/console/client/views/ops.ts", // 3
      "src/console/client/views/studio.ts", // 4
      "src/http/routes/campaigns.ts", // 4
      "src/http/routes/cancel-flow.ts", // 1
      "src/http/routes/dashboard.ts", // 1
      "src/stripe/apply-event.ts", // 1
      "test/bench/bench.ts", // 2
      "test/bench/send-defaults.ts", // 1
      "test/cancel-flow-stripe.test.ts", // 2
      "test/cancel-flow.test.ts", // 4
      "test/card-update-link.test.ts", // 1
      "test/deliverability.test.ts", // 1
      "test/delivery-faults.test.ts", // 1
      "test/delivery.test.ts", // 7
      "test/enrollment.test.ts", // 1
      "test/faults.test.ts", // 1
      "test/fuzz.test.ts", // 1
      "test/helpers/console-demo.ts", // 2
      "test/helpers/harness.ts", // 1
      "test/hostile-input.test.ts", // 2
      "test/logs.test.ts", // 2
      "test/measurement.test.ts", // 6
      "test/rolling-restart.test.ts", // 1
      "test/support.test.ts", // 3
    ],
    rules: { "@typescript-eslint/no-non-null-assertion": "off" },
  },
  {
    files: [
      "src/cli/shared.ts", // 1
      "src/console/client/describe.ts", // 5
      "src/db/database.ts", // 1
    ],
    rules: { "@typescript-eslint/no-unnecessary-type-assertion": "off" },
  },
  {
    files: [
      "src/http/routes/campaigns.ts", // 2
    ],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
  {
    files: [
      "src/db/database.ts", // 2
      "src/http/routes/campaigns.ts", // 1
    ],
    rules: { "@typescript-eslint/no-unsafe-call": "off" },
  },
  {
    files: [
      "src/db/database.ts", // 2
      "src/http/routes/campaigns.ts", // 2
    ],
    rules: { "@typescript-eslint/no-unsafe-member-access": "off" },
  },
  {
    files: [
      "src/http/routes/campaigns.ts", // 1
    ],
    rules: { "@typescript-eslint/no-unsafe-return": "off" },
  },
  {
    files: [
      "src/cli/campaign-commands.ts", // 1
    ],
    rules: { "@typescript-eslint/unbound-method": "off" },
  },
  // ---- END PENDING
);
