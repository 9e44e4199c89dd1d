import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The Node flags the shipped Deployment gives remediator (its `NODE_OPTIONS`), so that the fuzz
 * run and the benchmark measure memory as it runs there, not with V8's defaults for this
 * machine's 24 GiB, under which garbage piles up to gigabytes before V8 collects hard.
 */
export function deploymentNodeOptions(root = join(__dirname, '..', '..')): string[] {
  const file = join(root, 'deploy', 'k8s', 'deployment.yaml');
  const deployment = parse(readFileSync(file, 'utf8')) as {
    spec: { template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } } };
  };
  const value = deployment.spec.template.spec.containers[0]?.env?.find(
    (e) => e.name === 'NODE_OPTIONS',
  )?.value;
  if (value === undefined) throw new Error(`${file} sets no NODE_OPTIONS`);
  return value.split(/\s+/).filter((flag) => flag !== '');
}
