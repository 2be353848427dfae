/** The web app's Content-Security-Policy (sent with every HTML answer). */
export declare const contentSecurityPolicy: string;
/** The policy for answers that are not the app: nothing loads or runs, documents are sandboxed. */
export declare const inertContentSecurityPolicy: string;
/** `x-content-type-options`, `referrer-policy`, `x-frame-options`: sent with every answer. */
export declare const securityHeaders: Readonly<Record<'x-content-type-options' | 'referrer-policy' | 'x-frame-options', string>>;
