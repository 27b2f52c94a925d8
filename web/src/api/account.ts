import type { BindResult, SmsSent } from '@wxauth/contract';
import { http } from './http';

export async function sendSms(phone: string): Promise<SmsSent> {
  return (await http.post<SmsSent>('/api/sms/send', { phone })).data;
}

export async function bindPhone(phone: string, smsCode: string): Promise<BindResult> {
  return (await http.post<BindResult>('/api/account/bind', { phone, smsCode })).data;
}

/** 账号密码登录: the host system checks the account and password; the BFF keeps neither. */
export async function bindPassword(account: string, password: string): Promise<BindResult> {
  return (await http.post<BindResult>('/api/account/bind-password', { account, password })).data;
}

export async function unbindPhone(): Promise<void> {
  await http.post('/api/account/unbind');
}
