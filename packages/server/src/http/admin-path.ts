/** The admin portal's paths; the guard and the security headers both need to know them. */
export const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/')
