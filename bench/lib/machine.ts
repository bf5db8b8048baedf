import { spawnSync } from 'node:child_process';
import { cpus, release, totalmem, type } from 'node:os';

export type Machine = {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  database: string;
  autocannon: string;
};

export function describeMachine(redisVersion: string, database: string, autocannonVersion: string): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${type()} ${release()}${virtualization()}`,
    node: process.version,
    redis: redisVersion,
    database,
    autocannon: autocannonVersion,
  };
}

function virtualization(): string {
  const found = spawnSync('systemd-detect-virt', [], { encoding: 'utf8' });
  const name = found.status === 0 ? found.stdout.trim() : '';
  return name && name !== 'none' ? ` (${name} VM)` : '';
}
