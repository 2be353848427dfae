import { PolicyManager } from '@symphony/conductor';
import { openKernel } from '../kernel.js';

/** Stores a trained model as the next `conductor-policy` version and points `production` at it. */
export async function publishPolicy(home: string, bytes: Uint8Array, metadata: object): Promise<string> {
  const open = await openKernel({ home, storeOnly: true });
  try {
    return await PolicyManager.publish(open.artifacts, bytes, { ...metadata, source: 'trained' });
  } finally {
    await open.close();
  }
}
