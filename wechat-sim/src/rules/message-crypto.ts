import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// WeChat's side of 消息加解密 (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html),
// written here apart from the BFF's, so that each checks the other.

/** sha1 over the parts sorted as strings and joined: `signature` and `msg_signature`. */
export const sortedSha1 = (...parts: string[]): string =>
  createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');

const keyOf = (encodingAESKey: string) => Buffer.from(`${encodingAESKey}=`, 'base64');

/** 16 random bytes, the length in network order, the message, the appid; PKCS#7 to 32; AES-256-CBC, IV = key[0..16). */
export function encryptMessage(
  encodingAESKey: string,
  appid: string,
  message: string,
  random = randomBytes(16),
): string {
  const text = Buffer.from(message);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(text.length);
  const plain = Buffer.concat([random, length, text, Buffer.from(appid)]);
  const pad = 32 - (plain.length % 32);
  const key = keyOf(encodingAESKey);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
}

/** The message and the appid inside an Encrypt value; throws when it does not decrypt to that shape. */
export function decryptMessage(encodingAESKey: string, encrypt: string): { message: string; appid: string } {
  const key = keyOf(encodingAESKey);
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]);
  const pad = plain[plain.length - 1]!;
  if (pad < 1 || pad > 32) throw new Error('bad padding');
  const body = plain.subarray(16, plain.length - pad);
  const length = body.readUInt32BE(0);
  if (length > body.length - 4) throw new Error('bad length');
  return { message: body.subarray(4, 4 + length).toString(), appid: body.subarray(4 + length).toString() };
}
