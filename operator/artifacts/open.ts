// Picks the back end for a store URI. The environment is passed in, never read here.
import { FileStore } from './file.ts';
import { S3Store, s3Client, s3SettingsFromEnv } from './s3.ts';
import type { ArtifactStore } from './store.ts';

export function openStore(uri: string, env: Record<string, string | undefined>): ArtifactStore {
  if (uri.startsWith('file://')) return new FileStore(uri);
  if (uri.startsWith('s3://')) return new S3Store(uri, s3Client(s3SettingsFromEnv(env)));
  throw new Error(`unsupported artifact store "${uri}": expected file:///dir or s3://bucket[/prefix]`);
}

export { FileStore } from './file.ts';
export { S3Store } from './s3.ts';
export { ArtifactExistsError, ArtifactNotFoundError } from './store.ts';
export type { ArtifactStore, Body, ObjectInfo, PutOptions } from './store.ts';
