import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// WeChat's message signature and encryption for the Official Account's server URL, as 消息加解密说明
// (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html)
// and 接入概述 (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html) describe.

/** Why a message or a key was refused: stable codes, and a message that shows neither key nor content. */
export type MessageCryptoCode = 'BAD_KEY' | 'UNDECRYPTABLE' | 'WRONG_APPID';

export class MessageCryptoError extends Error {
  constructor(
    readonly code: MessageCryptoCode,
    message: string,
  ) {
    super(message);
    this.name = 'MessageCryptoError';
  }
}

/** `sha1(sort(parts).join(''))` in lowercase hex: `signature` (token, timestamp, nonce), `msg_signature` (+ Encrypt). */
export function messageSignature(parts: string[]): string {
  return createHash('sha1')
    .update([...parts].sort().join(''))
    .digest('hex');
}

/** The signature given equals the one expected, compared in constant time. */
export function signatureMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** 43 characters from a-z, A-Z, 0-9 (as the MP backend makes them): Base64 of the 32-byte AES key, "=" left off. */
export function parseEncodingAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey))
    throw new MessageCryptoError('BAD_KEY', 'an EncodingAESKey is 43 letters and digits');
  return Buffer.from(`${encodingAesKey}=`, 'base64');
}

/** PKCS#7 to WeChat's 32-byte blocks (not AES's 16). */
const BLOCK = 32;

export interface MessageCrypto {
  /** The msg_signature of an Encrypt value (or the signature, without one). */
  sign(timestamp: string, nonce: string, encrypt?: string): string;
  /** A signature given for [timestamp, nonce(, encrypt)] is right. */
  verify(given: string, parts: string[]): boolean;
  /**
   * The Encrypt value of a message: 16 random bytes, the length (4 bytes, network order), the message, the
   * appid; with the first key, or the one of index `key` (the key a push came with).
   */
  encrypt(message: string, random?: Buffer, key?: number): string;
  /** The message inside an Encrypt value, with any of the keys; refused when no key opens it for our appid. */
  decrypt(encrypt: string): string;
  /** decrypt, and the index of the key that opened it. */
  open(encrypt: string): { message: string; key: number };
}

/**
 * The account's message crypto. `keys`: its EncodingAESKeys, the current one first: it encrypts, and each
 * is tried to decrypt, so a key changed in the MP backend (which takes effect at once) does not refuse
 * pushes made just before, nor does a deployment that has not got the new key yet refuse WeChat's.
 */
export function createMessageCrypto(options: { token: string; appid: string; keys: string[] }): MessageCrypto {
  const { token, appid } = options;
  if (!options.keys.length) throw new MessageCryptoError('BAD_KEY', 'at least one EncodingAESKey is needed');
  const keys = options.keys.map(parseEncodingAesKey);
  const appidBytes = Buffer.from(appid);

  const sign = (timestamp: string, nonce: string, encrypt?: string) =>
    messageSignature(encrypt === undefined ? [token, timestamp, nonce] : [token, timestamp, nonce, encrypt]);

  /** The plaintext under one key, or undefined when that key does not open it into our format. */
  function open(key: Buffer, cipher: Buffer): { message: string } | 'wrong-appid' | undefined {
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      plain = Buffer.concat([decipher.update(cipher), decipher.final()]);
    } catch {
      return undefined;
    }
    const pad = plain[plain.length - 1]!;
    if (pad < 1 || pad > BLOCK || pad > plain.length) return undefined;
    for (let i = plain.length - pad; i < plain.length; i++) if (plain[i] !== pad) return undefined;
    const body = plain.subarray(16, plain.length - pad);
    if (body.length < 4) return undefined;
    const length = body.readUInt32BE(0);
    if (length > body.length - 4) return undefined;
    const message = body.subarray(4, 4 + length);
    const receiver = body.subarray(4 + length);
    // The appid is what ties a push to this account: an equal-length compare, no early exit.
    if (receiver.length !== appidBytes.length || !timingSafeEqual(receiver, appidBytes)) return 'wrong-appid';
    return { message: message.toString('utf8') };
  }

  return {
    sign,
    verify: (given, [timestamp = '', nonce = '', encrypt]) =>
      /^[0-9a-f]{40}$/.test(given) && signatureMatches(given, sign(timestamp, nonce, encrypt)),

    encrypt(message, random = randomBytes(16), keyIndex = 0) {
      const text = Buffer.from(message);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(text.length);
      const body = Buffer.concat([random, length, text, appidBytes]);
      const pad = BLOCK - (body.length % BLOCK);
      const key = keys[keyIndex] ?? keys[0]!;
      const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
      return Buffer.concat([cipher.update(Buffer.concat([body, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
        'base64',
      );
    },

    decrypt(encrypt) {
      return this.open(encrypt).message;
    },

    open(encrypt) {
      // Strict Base64 (Buffer.from skips what it does not know), of whole AES blocks.
      if (!/^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encrypt))
        throw new MessageCryptoError('UNDECRYPTABLE', 'Encrypt is not Base64');
      const cipher = Buffer.from(encrypt, 'base64');
      if (cipher.length === 0 || cipher.length % 16 !== 0)
        throw new MessageCryptoError('UNDECRYPTABLE', 'Encrypt is not whole AES blocks');
      let foreign = false;
      for (const [index, key] of keys.entries()) {
        const opened = open(key, cipher);
        if (opened === 'wrong-appid') foreign = true;
        else if (opened) return { message: opened.message, key: index };
      }
      throw foreign
        ? new MessageCryptoError('WRONG_APPID', "the message is for another appid than this Official Account's")
        : new MessageCryptoError('UNDECRYPTABLE', 'no EncodingAESKey of WX_MESSAGE_AES_KEYS decrypts the message');
    },
  };
}
