// The company's existing message handler (menus, auto-replies), as small as can be: it checks WeChat's
// signature with its own token, decrypts in safe mode with its own key, and answers a text message to
// every push, encrypted when the push was. wxauth forwards it the pushes it does not claim, unchanged.
// Written apart from wxauth's code on purpose: it is what a company already runs.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

const sha1 = (...parts) =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
const field = (xml, name) => new RegExp(`<${name}>(?:<!\\[CDATA\\[)?([\\s\\S]*?)(?:\\]\\]>)?</${name}>`).exec(xml)?.[1];

/**
 * @param {{ token: string, encodingAESKey: string, appid: string, reply: (push: string) => string }} options
 * `reply` gives the text for a push's XML.
 */
export async function startWechatHandler({ token, encodingAESKey, appid, reply }) {
  const key = Buffer.from(`${encodingAESKey}=`, 'base64');
  const iv = key.subarray(0, 16);
  const state = { pushes: /** @type {Array<{ encrypted: boolean, xml: string }>} */ ([]), refused: 0 };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const q = new URL(req.url ?? '/', 'http://handler').searchParams;
      const [timestamp, nonce] = [q.get('timestamp') ?? '', q.get('nonce') ?? ''];
      if (sha1(token, timestamp, nonce) !== q.get('signature')) {
        state.refused += 1;
        return void res.writeHead(403).end('bad signature');
      }
      const encrypted = q.get('encrypt_type') === 'aes';
      let xml = body;
      if (encrypted) {
        const encrypt = field(body, 'Encrypt') ?? '';
        if (sha1(token, timestamp, nonce, encrypt) !== q.get('msg_signature')) {
          state.refused += 1;
          return void res.writeHead(403).end('bad msg_signature');
        }
        const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
        const plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
        const body16 = plain.subarray(16, plain.length - plain[plain.length - 1]);
        const length = body16.readUInt32BE(0);
        xml = body16.subarray(4, 4 + length).toString();
      }
      state.pushes.push({ encrypted, xml });
      const now = Math.floor(Date.now() / 1000);
      const answer = `<xml><ToUserName><![CDATA[${field(xml, 'FromUserName')}]]></ToUserName><FromUserName><![CDATA[${field(xml, 'ToUserName')}]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${reply(xml)}]]></Content></xml>`;
      res.setHeader('content-type', 'application/xml');
      if (!encrypted) return void res.end(answer);
      const text = Buffer.from(answer);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(text.length);
      const raw = Buffer.concat([randomBytes(16), length, text, Buffer.from(appid)]);
      const pad = 32 - (raw.length % 32);
      const c = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
      const encrypt = Buffer.concat([c.update(Buffer.concat([raw, Buffer.alloc(pad, pad)])), c.final()]).toString(
        'base64',
      );
      const n = String(Math.floor(Math.random() * 1e9));
      res.end(
        `<xml><Encrypt><![CDATA[${encrypt}]]></Encrypt><MsgSignature><![CDATA[${sha1(token, String(now), n, encrypt)}]]></MsgSignature><TimeStamp>${now}</TimeStamp><Nonce><![CDATA[${n}]]></Nonce></xml>`,
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}/wechat`,
    state,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}
