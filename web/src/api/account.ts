import type { BindResult, SmsSent } from '@wxauth/contract';
import { bff } from './http';

export const sendSms = async (phone: string): Promise<SmsSent> => (await bff()).sendSms(phone);

export const bindPhone = async (phone: string, smsCode: string): Promise<BindResult> =>
  (await bff()).bindPhone(phone, smsCode);

/** 账号密码登录: the host system checks the account and password; the BFF keeps neither. */
export const bindPassword = async (account: string, password: string): Promise<BindResult> =>
  (await bff()).bindPassword(account, password);

export const unbindPhone = async (): Promise<void> => (await bff()).unbind();
