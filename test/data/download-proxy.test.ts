import test, { type ExecutionContext } from 'ava';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DataError } from '../../src/errors.js';
import { downloadFile } from '../../src/data/download.js';
import { tempDir } from './helpers.js';

const BODY = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251));
const MD5 = createHash('md5').update(BODY).digest('hex');
const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'] as const;

async function listen(t: ExecutionContext, server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** The file server: BODY at /file, a redirect at /moved; records the paths it was asked for. */
async function origin(t: ExecutionContext) {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/moved') res.writeHead(302, { location: '/file' }).end();
    else if (req.url === '/file') res.writeHead(200, { 'content-length': BODY.length }).end(BODY);
    else res.writeHead(404).end();
  });
  return { base: `http://127.0.0.1:${await listen(t, server)}`, paths };
}

/**
 * A forward proxy: tunnels CONNECT to 127.0.0.1 (refuses other hosts with 403) and forwards
 * absolute-form GETs; records each request line and its Proxy-Authorization.
 */
async function proxy(t: ExecutionContext) {
  const seen: { line: string; auth: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, auth: req.headers['proxy-authorization'] });
    const upstream = http.get(req.url!, { headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push({ line: `CONNECT ${req.url}`, auth: req.headers['proxy-authorization'] });
    const [host, port] = (req.url ?? '').split(':');
    if (host !== '127.0.0.1') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const target = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      target.write(head);
      target.pipe(client).pipe(target);
    });
    target.on('error', () => client.destroy());
    client.on('error', () => target.destroy());
  });
  return { url: `http://127.0.0.1:${await listen(t, server)}`, seen };
}

/** Runs `body` with exactly the given proxy variables set, restoring the environment afterwards. */
async function withProxyEnv<T>(vars: Partial<Record<(typeof PROXY_VARS)[number], string>>, body: () => Promise<T>): Promise<T> {
  const saved = PROXY_VARS.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARS) delete process.env[name];
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

test('HTTP_PROXY: the download and its redirect go through the proxy', async (t) => {
  const { base, paths } = await origin(t);
  const { url, seen } = await proxy(t);
  const dest = join(await tempDir(t), 'file.bin');
  const result = await withProxyEnv({ HTTP_PROXY: url }, () => downloadFile(`${base}/moved`, dest, { md5: MD5 }));
  t.true(readFileSync(dest).equals(BODY));
  t.is(result.bytes, BODY.length);
  const target = base.replace('http://', '');
  t.true(seen.length > 0, 'the proxy saw the requests');
  t.true(seen.every((s) => s.line === `CONNECT ${target}` || s.line.startsWith(`GET ${base}/`)), JSON.stringify(seen));
  t.deepEqual(paths, ['/moved', '/file']);
});

test('lower-case http_proxy is honoured too', async (t) => {
  const { base } = await origin(t);
  const { url, seen } = await proxy(t);
  const dest = join(await tempDir(t), 'file.bin');
  await withProxyEnv({ http_proxy: url }, () => downloadFile(`${base}/file`, dest, { md5: MD5 }));
  t.true(seen.length > 0);
  t.true(readFileSync(dest).equals(BODY));
});

test('NO_PROXY bypasses the proxy for the hosts it lists', async (t) => {
  const { base, paths } = await origin(t);
  const { url, seen } = await proxy(t);
  const dest = join(await tempDir(t), 'file.bin');
  await withProxyEnv({ HTTP_PROXY: url, NO_PROXY: 'example.org,127.0.0.1' }, () => downloadFile(`${base}/file`, dest, { md5: MD5 }));
  t.deepEqual(seen, []);
  t.deepEqual(paths, ['/file']);
  t.true(readFileSync(dest).equals(BODY));
});

test('HTTPS_PROXY: an https download asks the proxy for a tunnel, with the credentials of the proxy URL, and a refusal is one line without them', async (t) => {
  const { url, seen } = await proxy(t);
  const withAuth = url.replace('http://', 'http://alice:s3cret@');
  const dest = join(await tempDir(t), 'file.bin');
  const error = await withProxyEnv({ HTTPS_PROXY: withAuth }, () =>
    t.throwsAsync(downloadFile('https://files.example.invalid/archive.tar.gz', dest, { md5: MD5 }), { instanceOf: DataError }),
  );
  t.deepEqual(seen.map((s) => s.line), ['CONNECT files.example.invalid:443']);
  t.is(seen[0]!.auth, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
  t.regex(error!.message, /GET https:\/\/files\.example\.invalid\/archive\.tar\.gz failed .*via HTTPS_PROXY=http:\/\/127\.0\.0\.1:\d+ /);
  t.notRegex(error!.message, /s3cret|\n/);
});

test('HTTPS_PROXY alone leaves plain http direct', async (t) => {
  const { base, paths } = await origin(t);
  const { url, seen } = await proxy(t);
  const dest = join(await tempDir(t), 'file.bin');
  await withProxyEnv({ HTTPS_PROXY: url }, () => downloadFile(`${base}/file`, dest, { md5: MD5 }));
  t.deepEqual(seen, []);
  t.deepEqual(paths, ['/file']);
});
