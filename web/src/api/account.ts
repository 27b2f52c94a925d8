import type { BindResult, SmsSent } from '@wxauth/contract';
import { http } from './http';

export async function sendSms(phone: string): Promise<SmsSent> {
  return (await http.post<SmsSent>('/api/sms/send', { phone })).data;
}

export async function bindPhone(phone: string, smsCode: string): Promise<BindResult> {
  return (await http.post<BindResult>('/api/account/bind', { phone, smsCode })).data;
}

export async function unbindPhone(): Promise<void> {
  await http.post('/api/account/unbind');
}
