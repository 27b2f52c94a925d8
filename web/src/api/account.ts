import { http } from './http';

export async function sendSms(phone: string): Promise<{ cooldownSeconds: number }> {
  return (await http.post<{ cooldownSeconds: number }>('/api/sms/send', { phone })).data;
}

export async function bindPhone(phone: string, smsCode: string): Promise<{ next: 'home'; returnTo: string }> {
  return (await http.post<{ next: 'home'; returnTo: string }>('/api/account/bind', { phone, smsCode })).data;
}

export async function unbindPhone(): Promise<void> {
  await http.post('/api/account/unbind');
}
