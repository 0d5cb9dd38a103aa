// Debian's Chromium for the browser tests of every package (the Node binding, the wasm build,
// the demo): headless, a fresh profile, no outside network (without the networking flags it
// tries to reach hosts that do not exist here). Each suite passes its own playwright-core
// `chromium` (its node_modules has the package).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

/** `insecureCerts`: accept any certificate (a test server's self-signed one). */
export async function launchChromium(chromium, { insecureCerts = false } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'wsengine-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...(insecureCerts ? ['--ignore-certificate-errors'] : []),
    ],
    ignoreHTTPSErrors: insecureCerts,
    timeout: 60_000,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
