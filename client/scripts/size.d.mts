export declare const BUDGET: number;
export declare function measure(): Promise<Record<string, { minified: number; gzip: number }>>;
