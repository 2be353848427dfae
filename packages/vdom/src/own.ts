/**
 * Sets an own data property. Plain assignment of `__proto__` would change the object's prototype
 * instead of adding a member; every key that comes from data (prop names) goes through here.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  else target[key] = value;
}
