import { join, resolve } from 'node:path';

/** The repository root, found from this file's place in packages/devstack/dist. */
export const repoRoot = resolve(__dirname, '..', '..', '..');

export const toolBin = (name: string) => join(repoRoot, '.tools', 'bin', name);
export const nodeBin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);
export const componentsDir = join(repoRoot, 'components');
export const daprConfigFile = join(repoRoot, 'dapr', 'config.yaml');
