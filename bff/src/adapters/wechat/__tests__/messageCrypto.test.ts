import { describe, expect, it } from 'vitest';
import {
  createMessageCrypto,
  MessageCryptoError,
  messageSignature,
  parseEncodingAesKey,
  signatureMatches,
} from '../messageCrypto.js';

// WeChat's published vectors: the sample code Tencent ships with 消息加解密说明
// (https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html)
// in Java (WXBizMsgCryptTest), Python (Sample.py) and C++ (Sample.cpp), and the worked example of the
// third-party platform's 消息推送 document. Values as published, byte for byte.
const SAMPLE_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';

/** Java WXBizMsgCryptTest: encryption with the fixed random "aaaabbbbccccdddd". */
const JAVA = {
  token: 'pamtest',
  appid: 'wxb11529c136998cb6',
  random: 'aaaabbbbccccdddd',
  short: '我是中文abcd123',
  shortCipher: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
  reply:
    '<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>',
  replyCipher:
    'jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb',
};

/** Python Sample.py: a compatible-mode text message push (plaintext fields and Encrypt) to decrypt. */
const PYTHON = {
  token: 'spamtest',
  appid: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  encrypt:
    'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
  message:
    '<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>\n<FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName>\n<CreateTime>1409735668</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[abcdteT]]></Content>\n<MsgId>6054768590064713728</MsgId>\n</xml>',
};

/** C++ Sample.cpp: a safe-mode push to decrypt. */
const CPP = {
  token: 'spamtest',
  appid: 'wx2c2769f8efd9abc2',
  timestamp: '1410349438',
  nonce: '298025754',
  msgSignature: '003fee52ecc56afb46c00b5c7721be87860ce785',
  encrypt:
    'mfBCs65c67CeJw22u4VT2TD73q5H06+ocrAIxswCaeZ/d/Lw0msSZFHY0teqgSYiI1zR2gD2DKrB3TIrmX/liNSDrGqS8jSI/WPeKB5VPr7Ezr7gomZAyGCwJSgT1TRFWPfONGJMxuj2nk4faTuspAuVIFQ6SHwZuJBZC7mcJp7Cgr9cUhATQWDbOPaE7ukZBTV2YqyzH+UI2AK+J1S47cE79k1RX8t0hcTz/O0hlK8DGXKnvYv88qKQcI7z4iaajqHfRVZKBNyOODabs+It+ZfM3dWTeFcPgDbGtIEnpt/EDtuuA/zMvtkaKdHdswPnVZQ+xdwbYr3ldGvfT8HlEYEgkgKaThxTFobVlwzu2ZkXCjicbP3xdr15Iq48ObgzPpqYuZ3IEoyggZDKClquk0u0orMck4GTF/XyE8yGzc4=',
};

/** The third-party platform's 消息推送 example: the all-"A" key (32 zero bytes), a push and its encrypted reply. */
const PLATFORM = {
  key: 'A'.repeat(43),
  token: 'AAAAA',
  appid: 'wx134c8103faa5a59e',
  timestamp: '1715943329',
  nonce: '1590219412',
  msgSignature: '6c12a4205838198b8fa631b3220723bb07f1015c',
  encrypt:
    'D7yzvUNAL930rd28wf21s4hvXhz0L6Uit/p2Di6C5DHyYGpEgdBRnKjBec34JwoQXicwaZC7fOVihW80F4VtsdvE//1vr7oAbqjDv8KenVp+ajKYpJnyQ4zMRhIC+a31fCVOMC03FfzV/QuC94kBP55a+Za3sJgvAn+ZbsNqZI5DkyuzkhQN8OBqCzFhizGmy0xpM0MEA4agpvE+RuNO1rhHTtuJB5yltw1FiYzecSXJ+y/D2r81VkRn2eYjh2ltsoyfbDR7Is6ookXIFxTfyeNyeHxMeT4KN5WpCDmSbTcUYrbBUlkGLJ9n/rU8YOywma6G7aTb7KZKOqCxgfoUlYEZPk4FUL/TK7ShriFDMVCLyjQJ15Ob++agDWtcxhfUfe6HIoIpRW8mKNBQiY/Jd1svvuskA1wLef1RTtzKfMpagSCX/laZINmdnX4zrF6kIaR9P4xQrWXbsTFHTYe0Mg==',
  messageLength: 292,
  reply: '<xml><demo_resp>[CDATA[good luck]]</demo_resp></xml>',
  replyRandom: '999951349e8ee746',
  replyCipher:
    'hE8R6mGXHkJJjU72KxzKUd1GEkKJaEZq7vRL8XgK3o+00k8JGq6+pZJUIlTSyhsX+bxIBQ72g3GyvDdIZcr6+3HAZbSvPT9t/o11MI7d6WELwqrGd7jMnV0zv3Zc9Nq7',
  replyTimestamp: '1713424427',
  replyNonce: '415670741',
  replySignature: '03e0812039325c2712ef5f0f980fd14c70d6e307',
};

/** WeCom's URL verification sample (same scheme): four parts signed, the echostr decrypted. */
const VERIFY_URL = {
  token: 'QDG6eK',
  key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C',
  receiver: 'wx5823bf96d3bd56c7',
  timestamp: '1409659589',
  nonce: '263014780',
  echostr: 'P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==',
  signature: '5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3',
  message: '1616140317555161061',
};

const crypto = (token: string, appid: string, keys = [SAMPLE_KEY]) => createMessageCrypto({ token, appid, keys });

describe("WeChat's message signature", () => {
  it('is sha1 over the parts sorted and joined: the published msg_signature vectors', () => {
    expect(messageSignature([PYTHON.token, PYTHON.timestamp, PYTHON.nonce, PYTHON.encrypt])).toBe(PYTHON.msgSignature);
    expect(messageSignature([CPP.token, CPP.timestamp, CPP.nonce, CPP.encrypt])).toBe(CPP.msgSignature);
    expect(messageSignature([PLATFORM.token, PLATFORM.timestamp, PLATFORM.nonce, PLATFORM.encrypt])).toBe(
      PLATFORM.msgSignature,
    );
    expect(messageSignature([VERIFY_URL.token, VERIFY_URL.timestamp, VERIFY_URL.nonce, VERIFY_URL.echostr])).toBe(
      VERIFY_URL.signature,
    );
  });

  it('the URL signature has three parts (token, timestamp, nonce), in any order given', () => {
    const sig = messageSignature(['pamtest', '1409304348', 'xxxxxx']);
    expect(sig).toMatch(/^[0-9a-f]{40}$/);
    expect(messageSignature(['xxxxxx', 'pamtest', '1409304348'])).toBe(sig);
    // Sorted as strings, not joined as given: '1409304348' < 'pamtest' < 'xxxxxx'.
    expect(messageSignature(['1409304348pamtestxxxxxx'])).toBe(sig);
  });

  it('compares in constant time and refuses anything but the exact lowercase hex', () => {
    const c = crypto(PYTHON.token, PYTHON.appid);
    expect(c.verify(PYTHON.msgSignature, [PYTHON.timestamp, PYTHON.nonce, PYTHON.encrypt])).toBe(true);
    expect(c.verify(PYTHON.msgSignature.toUpperCase(), [PYTHON.timestamp, PYTHON.nonce, PYTHON.encrypt])).toBe(false);
    expect(c.verify('', [PYTHON.timestamp, PYTHON.nonce, PYTHON.encrypt])).toBe(false);
    expect(c.verify(PYTHON.msgSignature, [PYTHON.timestamp, PYTHON.nonce, `${PYTHON.encrypt} `])).toBe(false);
    expect(signatureMatches('abc', 'abcd')).toBe(false);
  });
});

describe("WeChat's message encryption", () => {
  it('encrypts as the Java sample does, given its random bytes', () => {
    const c = crypto(JAVA.token, JAVA.appid);
    expect(c.encrypt(JAVA.short, Buffer.from(JAVA.random))).toBe(JAVA.shortCipher);
    expect(c.encrypt(JAVA.reply, Buffer.from(JAVA.random))).toBe(JAVA.replyCipher);
    expect(c.decrypt(JAVA.shortCipher)).toBe(JAVA.short);
    expect(c.decrypt(JAVA.replyCipher)).toBe(JAVA.reply);
  });

  it('decrypts the Python and C++ samples byte for byte (line breaks kept)', () => {
    expect(crypto(PYTHON.token, PYTHON.appid).decrypt(PYTHON.encrypt)).toBe(PYTHON.message);
    const cpp = crypto(CPP.token, CPP.appid).decrypt(CPP.encrypt);
    expect(cpp).toContain('<ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>');
  });

  it("decrypts the platform's push with the all-A key and encrypts its reply to the published cipher", () => {
    const c = crypto(PLATFORM.token, PLATFORM.appid, [PLATFORM.key]);
    const message = c.decrypt(PLATFORM.encrypt);
    expect(Buffer.byteLength(message)).toBe(PLATFORM.messageLength);
    expect(message).toContain('<Event><![CDATA[debug_demo]]></Event>');
    const cipher = c.encrypt(PLATFORM.reply, Buffer.from(PLATFORM.replyRandom));
    expect(cipher).toBe(PLATFORM.replyCipher);
    expect(c.sign(PLATFORM.replyTimestamp, PLATFORM.replyNonce, cipher)).toBe(PLATFORM.replySignature);
  });

  it('decrypts the URL verification sample', () => {
    expect(crypto(VERIFY_URL.token, VERIFY_URL.receiver, [VERIFY_URL.key]).decrypt(VERIFY_URL.echostr)).toBe(
      VERIFY_URL.message,
    );
  });

  it('makes a new random prefix each time, and reads its own output back', () => {
    const c = crypto(JAVA.token, JAVA.appid);
    const a = c.encrypt('<xml>你好</xml>');
    expect(a).not.toBe(c.encrypt('<xml>你好</xml>'));
    expect(c.decrypt(a)).toBe('<xml>你好</xml>');
    // PKCS#7 to 32-byte blocks: 16 + 4 + 17 + 18 = 55 bytes → 64.
    expect(Buffer.from(a, 'base64')).toHaveLength(64);
  });
});

describe('key rotation (WX_MESSAGE_AES_KEYS=new,old)', () => {
  const NEW_KEY = VERIFY_URL.key;

  it('encrypts with the first key and decrypts with any of them', () => {
    const old = crypto(PYTHON.token, PYTHON.appid, [SAMPLE_KEY]);
    const rotated = crypto(PYTHON.token, PYTHON.appid, [NEW_KEY, SAMPLE_KEY]);
    expect(rotated.decrypt(PYTHON.encrypt)).toBe(PYTHON.message);
    expect(rotated.decrypt(rotated.encrypt('<xml/>'))).toBe('<xml/>');
    expect(() => old.decrypt(rotated.encrypt('<xml/>'))).toThrow(MessageCryptoError);
  });

  it('says which key opened a message, and encrypts with the one asked for', () => {
    const rotated = crypto(PYTHON.token, PYTHON.appid, [NEW_KEY, SAMPLE_KEY]);
    expect(rotated.open(PYTHON.encrypt)).toEqual({ message: PYTHON.message, key: 1 });
    const withOld = rotated.encrypt('<xml/>', undefined, 1);
    expect(crypto(PYTHON.token, PYTHON.appid, [SAMPLE_KEY]).decrypt(withOld)).toBe('<xml/>');
  });

  it('a key no longer listed decrypts nothing', () => {
    expect(() => crypto(PYTHON.token, PYTHON.appid, [NEW_KEY]).decrypt(PYTHON.encrypt)).toThrow(
      expect.objectContaining({ code: 'UNDECRYPTABLE' }),
    );
  });
});

describe('tampered or foreign input is refused with a clear error', () => {
  const c = crypto(PYTHON.token, PYTHON.appid);

  it('the appid inside must be ours: a push for another account is refused', () => {
    expect(() => crypto(PYTHON.token, 'wx0000000000000000').decrypt(PYTHON.encrypt)).toThrow(
      expect.objectContaining({ code: 'WRONG_APPID' }),
    );
  });

  it('not base64, not whole blocks, a flipped byte, a cut tail: refused, never garbage', () => {
    const bytes = Buffer.from(PYTHON.encrypt, 'base64');
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 1]! ^= 0x01;
    const early = Buffer.from(bytes);
    early[20]! ^= 0x80; // in the block that holds the length
    for (const bad of [
      '!!!not-base64!!!',
      'YWJj',
      '',
      flipped.toString('base64'),
      early.toString('base64'),
      bytes.subarray(0, bytes.length - 32).toString('base64'),
      'A'.repeat(24) + '==',
    ])
      expect(() => c.decrypt(bad), bad).toThrow(MessageCryptoError);
  });

  it('says what was wrong without the key or the message', () => {
    try {
      crypto(PYTHON.token, 'wx0000000000000000').decrypt(PYTHON.encrypt);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toMatch(/appid/);
      expect((err as Error).message).not.toContain(SAMPLE_KEY);
      expect((err as Error).message).not.toContain('abcdteT');
    }
  });
});

describe('the EncodingAESKey', () => {
  it('is 43 letters and digits, base64 of 32 bytes with its "=" left off', () => {
    expect(parseEncodingAesKey(SAMPLE_KEY)).toHaveLength(32);
    expect(parseEncodingAesKey(PLATFORM.key)).toEqual(Buffer.alloc(32));
    for (const bad of [
      'abcde',
      `${SAMPLE_KEY}=`,
      SAMPLE_KEY.slice(1),
      `${SAMPLE_KEY.slice(1)}+`,
      `${SAMPLE_KEY.slice(1)}/`,
    ])
      expect(() => parseEncodingAesKey(bad), bad).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('a crypto needs at least one key', () => {
    expect(() => createMessageCrypto({ token: 't', appid: 'wx', keys: [] })).toThrow(/EncodingAESKey/);
  });
});
