// The Orchestra Kit's costs beside their floors, all measured in this run: verifying a package
// (sha512 + untar + per-file sha256 + ed25519) vs sha512 + gunzip of the same bytes; an ed25519
// check vs crypto.verify; packing vs gzip of the same bytes; ranked search over 240 packages vs
// a substring scan; a semver query vs semver.maxSatisfying; a packument over HTTP on 127.0.0.1
// vs a static JSON reply from node:http; a one-package install vs fetching + hashing its tarball.
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import semver from 'semver';
import { generateKeyPair, packExtension, readPackage, signText, verifyText } from '@symphony/sdk';
import { openRegistry, serveRegistry } from '@symphony/registry';
import { createMarketplace } from '@symphony/marketplace';
import { measure, row } from '../lib.mjs';

const WORDS = 'parse csv json yaml image audio text email sql git log metrics pdf html chart table vector file queue cache token date color url resize classify translate summarize'.split(' ');

function writeExtension(root, id, version, sizeBytes = 200_000) {
  const dir = join(root, `${id}-${version}`);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  const words = [];
  for (let i = 0, length = 0; length < sizeBytes; i++) {
    const word = WORDS[(i * 7919) % WORDS.length];
    words.push(word);
    length += word.length + 1;
  }
  writeFileSync(join(dir, 'symphony.extension.json'), JSON.stringify({
    id, version, kind: 'operator', main: 'dist/index.js',
    description: `${WORDS[id.length % WORDS.length]} ${WORDS[(id.length * 3) % WORDS.length]} tools for ${id}`,
    keywords: [WORDS[id.length % WORDS.length], WORDS[(id.charCodeAt(5) ?? 0) % WORDS.length]],
    permissions: { fs: { read: ['${workspace}'] } },
  }));
  // Code-like text: compresses as real bundles do (~4-6x).
  writeFileSync(join(dir, 'dist', 'index.js'), `export default {};\n// ${words.join(' ')}\n`);
  writeFileSync(join(dir, 'README.md'), `# ${id}\n`);
  return dir;
}

export default async function orchestraKitSuite({ quick }) {
  const rows = [];
  const layer = 'orchestra kit';
  const slow = { quick, time: quick ? 150 : 500 };
  const root = mkdtempSync(join(tmpdir(), 'symphony-bench-kit-'));
  const key = generateKeyPair();

  // Verify a 200 KB package vs the raw work it cannot avoid.
  const pack = await packExtension({ dir: writeExtension(root, 'acme.bench', '1.0.0'), key });
  const floorHash = await measure('floor: sha512 + gunzip of the tarball', () => {
    createHash('sha512').update(pack.tarball).digest();
    gunzipSync(pack.tarball);
  }, slow);
  const verified = await measure(`readPackage (verify) of a ${Math.round(pack.files.reduce((s, f) => s + f.size, 0) / 1000)} KB package`, () => readPackage(pack.tarball, { integrity: pack.integrity }), slow);
  rows.push(row({ layer, name: verified.name, m: verified, floor: floorHash, aim: 'well under a download of the same bytes' }));

  const keyObject = createPrivateKey(key.privateKeyPem);
  const pub = createPublicKey(keyObject);
  const message = Buffer.from('symphony-package/v1\nid=acme.bench\n');
  const rawSig = sign(null, message, keyObject);
  const signature = signText(key.privateKeyPem, message.toString());
  const floorVerify = await measure('floor: crypto.verify ed25519 (key object held)', () => verify(null, message, pub, rawSig), { quick, batch: 10 });
  const ours = await measure('verifyText ed25519 (key from base64url each time)', () => verifyText(key.publicKey, message.toString(), signature), { quick, batch: 10 });
  rows.push(row({ layer, name: ours.name, m: ours, floor: floorVerify }));

  const source = join(root, 'acme.bench-1.0.0');
  const uncompressed = gunzipSync(pack.tarball);
  const floorGzip = await measure('floor: gzip of the same tar bytes', () => gzipSync(uncompressed), slow);
  const packed = await measure('packExtension (read, hash, sign, stage, tar, gzip)', () => packExtension({ dir: source, key }), slow);
  rows.push(row({ layer, name: packed.name, m: packed, floor: floorGzip }));

  // Upload bombs (issue 23): refused at the first entry past a limit, not after inflating it all.
  const bigEntry = gzipSync(Buffer.concat([tarHeader('package/big.bin', 2 ** 31 - 1), Buffer.alloc(8 * 1024 * 1024)]), { level: 9 });
  const floorBomb = await measure('floor: sha512 of a 2 GiB-entry bomb (integrity any verifier checks)', () => createHash('sha512').update(bigEntry).digest(), { quick, batch: 10 });
  const bigRefused = await measure('readPackage refuses the 2 GiB-entry bomb', () => readPackage(bigEntry).catch(() => undefined), slow);
  rows.push(row({ layer, name: bigRefused.name, m: bigRefused, floor: floorBomb }));
  const manyEntries = gzipSync(Buffer.concat(Array.from({ length: 20_000 }, (_, i) => Buffer.concat([tarHeader(`package/f${i}`, 1), Buffer.alloc(512)]))));
  const floorMany = await measure('floor: gunzipSync of a 20,000-entry bomb', () => gunzipSync(manyEntries), slow);
  const manyRefused = await measure('readPackage refuses the 20,000-entry bomb (stops at 10,001)', () => readPackage(manyEntries).catch(() => undefined), slow);
  rows.push(row({ layer, name: manyRefused.name, m: manyRefused, floor: floorMany }));

  // A registry with 240 packages (60 in quick mode), 4 versions of one.
  const registry = await openRegistry({ dir: join(root, 'registry') });
  const count = quick ? 60 : 240;
  const ids = Array.from({ length: count }, (_, i) => `p${i % 12}.${WORDS[i % WORDS.length]}-${WORDS[(i * 7) % WORDS.length]}-${i}`);
  await registry.registerPublisher({ name: 'bench', namespaces: [...new Set(ids.map((id) => id.split('.')[0]))].concat('acme'), publicKeys: [key.publicKey] });
  for (const id of ids) {
    const p = await packExtension({ dir: writeExtension(root, id, '1.0.0', 200), key });
    await registry.publish(p.tarball, { integrity: p.integrity });
  }
  for (const v of ['1.0.0', '1.2.0', '1.2.7', '2.0.0']) {
    const p = v === '1.0.0' ? pack : await packExtension({ dir: writeExtension(root, 'acme.bench', v, 2000), key });
    await registry.publish(p.tarball, { integrity: p.integrity });
  }
  const docs = await Promise.all(ids.map((id) => registry.resolve(id)));
  const texts = docs.map((d) => `${d.id} ${d.description} ${d.keywords.join(' ')}`.toLowerCase());
  const floorScan = await measure(`floor: substring scan of ${count} descriptions`, () => texts.filter((t) => t.includes('csv') || t.includes('table')).length, { quick, batch: 10 });
  const searched = await measure(`registry.search("parse csv table"), ${count} packages`, () => registry.search('parse csv table', { limit: 10 }), { quick, batch: 10 });
  rows.push(row({ layer, name: searched.name, m: searched, floor: floorScan }));

  const versions = ['1.0.0', '1.2.0', '1.2.7', '2.0.0'];
  const floorSemver = await measure('floor: semver.maxSatisfying(4 versions, ^1.2)', () => semver.maxSatisfying(versions, '^1.2'), { quick, batch: 100 });
  const resolved = await measure("registry.resolve('acme.bench', '^1.2')", () => registry.resolve('acme.bench', '^1.2'), { quick, batch: 100 });
  rows.push(row({ layer, name: resolved.name, m: resolved, floor: floorSemver }));

  // HTTP on 127.0.0.1.
  const served = await serveRegistry(registry);
  const packumentJson = JSON.stringify(await registry.packument('acme.bench'));
  const raw = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(packumentJson);
  });
  await new Promise((r) => raw.listen(0, '127.0.0.1', r));
  const rawUrl = `http://127.0.0.1:${raw.address().port}/acme.bench`;
  const floorHttp = await measure('floor: node:http static JSON + fetch', async () => (await fetch(rawUrl)).json(), slow);
  const viaRegistry = await measure('GET /acme.bench (packument) over HTTP', async () => (await fetch(new URL('acme.bench', served.url))).json(), slow);
  rows.push(row({ layer, name: viaRegistry.name, m: viaRegistry, floor: floorHttp }));

  // One-package install into a fresh home each time (start check off: it spawns node).
  const tgzUrl = new URL('acme.bench/-/acme.bench-2.0.0.tgz', served.url);
  const floorFetch = await measure('floor: fetch the tarball + sha512', async () => createHash('sha512').update(Buffer.from(await (await fetch(tgzUrl)).arrayBuffer())).digest(), slow);
  let n = 0;
  const installed = await measure('marketplace.install (resolve, fetch, verify, consent, stage, switch)', async () => {
    const mkt = await createMarketplace({ home: join(root, `home-${n++}`), registries: [served.url], consent: () => true, startCheck: async () => {} });
    await mkt.trust('bench', ['acme'], key.publicKey);
    await mkt.install('acme.bench@^2');
  }, { quick, time: quick ? 300 : 1000 });
  rows.push(row({ layer, name: installed.name, m: installed, floor: floorFetch }));

  await served.close();
  await new Promise((r) => raw.close(r));
  return rows;
}

/** One ustar header for a regular file claiming `size` bytes (the bombs above). */
function tarHeader(path, size) {
  const header = Buffer.alloc(512);
  header.write(path, 0, 100, 'utf8');
  header.write('0000644\0', 100, 'ascii');
  header.write('0000000\0', 108, 'ascii');
  header.write('0000000\0', 116, 'ascii');
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  header.write('00000000000\0', 136, 'ascii');
  header.write('        ', 148, 'ascii');
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}
