/**
 * The layering of src/, checked by `npm run lint` (dependency-cruiser): no circular imports, and
 * no stage imports a stage that comes after it in the data flow. docs/architecture.md explains the
 * order; test/architecture.test.ts shows these rules catch an upward import.
 */

/** Layers, first to last; a module may import its own layer and the layers before it. */
const LAYERS = [
  { name: 'foundation', paths: ['^src/(errors|clock|logger|skip-codes)\\.ts$'] },
  { name: 'vocabulary', paths: ['^src/alertmanager/', '^src/labels/'] },
  { name: 'kube', paths: ['^src/kube/', '^src/sources/'] },
  { name: 'metrics', paths: ['^src/metrics\\.ts$'] },
  { name: 'receivers', paths: ['^src/receivers/'] },
  { name: 'incidents', paths: ['^src/incidents/'] },
  { name: 'policies', paths: ['^src/policies/'] },
  { name: 'journal', paths: ['^src/journal/'] },
  { name: 'notify', paths: ['^src/notify/'] },
  { name: 'remediations', paths: ['^src/remediations/'] },
  { name: 'pipeline', paths: ['^src/pipeline/'] },
  { name: 'api', paths: ['^src/api/'] },
  { name: 'commands', paths: ['^src/cli/', '^src/tools/'] },
  { name: 'composition', paths: ['^src/(app|config|serve|main|replicas)\\.ts$'] },
];

const either = (paths) => (paths.length === 1 ? paths[0] : `(${paths.join('|')})`);

const upward = LAYERS.flatMap((layer, i) => {
  const later = LAYERS.slice(i + 1).flatMap((l) => l.paths);
  if (later.length === 0) return [];
  return [
    {
      name: `no-upward-import-from-${layer.name}`,
      comment: `${layer.name} comes before ${LAYERS.slice(i + 1)
        .map((l) => l.name)
        .join(', ')} in the data flow and must not import them (docs/architecture.md)`,
      severity: 'error',
      from: { path: either(layer.paths) },
      to: { path: either(later) },
    },
  ];
});

/** Inside remediations/: actions know nothing of how they are run or coordinated. */
const remediations = [
  {
    name: 'actions-do-not-import-the-executor',
    comment: "an action plans and applies; gates, locks and escalation are the executor's",
    severity: 'error',
    from: { path: '^src/remediations/actions/' },
    to: {
      path: '^src/remediations/(executor|coordination)/|^src/remediations/(escalation|audit|rbac)\\.ts$',
    },
  },
  {
    name: 'coordination-does-not-import-the-executor',
    comment:
      'Leases (locks, attempts, claims) are used by the executor and the escalator, not the reverse',
    severity: 'error',
    from: { path: '^src/remediations/coordination/' },
    to: { path: '^src/remediations/(executor|actions)/' },
  },
];

/**
 * The console (src/console) runs in browsers: it imports the API's types (src/api/wire.ts, types
 * only) and nothing else of the server, and the server imports nothing of it (it serves the
 * bundle npm run build makes of it).
 */
const consoleRules = [
  {
    name: 'console-imports-only-the-api-types',
    comment:
      'the console is browser code: of the server it may import only the types of src/api/wire.ts (import type)',
    severity: 'error',
    from: { path: '^src/console/' },
    to: { pathNot: '^src/console/|^node_modules/|^src/api/wire\\.ts$' },
  },
  {
    name: 'console-imports-the-api-types-as-types',
    comment: 'src/api/wire.ts is imported with `import type`: nothing of the server is bundled',
    severity: 'error',
    from: { path: '^src/console/' },
    to: { path: '^src/api/wire\\.ts$', dependencyTypesNot: ['type-only'] },
  },
  {
    name: 'server-does-not-import-the-console',
    comment: 'the server serves the built console (dist/console); it does not import its code',
    severity: 'error',
    from: { pathNot: '^src/console/' },
    to: { path: '^src/console/' },
  },
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'a cycle makes two modules one: split the shared part into the earlier module',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    ...remediations,
    ...consoleRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
