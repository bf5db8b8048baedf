import sjson from 'secure-json-parse';

/**
 * JSON.parse for bodies from outside: `__proto__` and `constructor.prototype` keys are dropped, so
 * no payload can reach an object's prototype. Throws SyntaxError like JSON.parse.
 */
export function parseUntrustedJson(text: string): unknown {
  const parsed: unknown = sjson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
  return parsed;
}
