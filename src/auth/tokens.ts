/**
 * @module Access tokens: short-lived JWTs signed by the server (ES256). Verification pins the
 * algorithm, issuer and audience, so `alg: none`, HS256-with-the-public-key, foreign keys, other
 * audiences and expired tokens are all refused.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { CarebridgeError } from '../errors/index.js';
import { TOKEN_ALG, type SigningKeys } from './keys.js';

/** Seconds an access token lives (SMART recommends ≤ 5 minutes for backend services). */
export const ACCESS_TOKEN_TTL_SECONDS = 300;

export interface TokenSettings {
  /** `iss` of our tokens (PUBLIC_BASE_URL, or 'carebridge'). */
  readonly issuer: string;
  /** `aud` of our tokens: the FHIR base. */
  readonly audience: string;
}

export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly scope: string;
}

export async function issueAccessToken(keys: SigningKeys, settings: TokenSettings, clientId: string, scope: string): Promise<IssuedToken> {
  const accessToken = await new SignJWT({ scope, client_id: clientId })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: keys.current.kid, typ: 'at+jwt' })
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setSubject(clientId)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .setJti(randomUUID())
    .sign(keys.current.key);
  return { accessToken, expiresIn: ACCESS_TOKEN_TTL_SECONDS, scope };
}

export interface VerifiedToken {
  readonly clientId: string;
  readonly scope: string;
}

export async function verifyAccessToken(keys: SigningKeys, settings: TokenSettings, token: string): Promise<VerifiedToken> {
  let kid: string | undefined;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== TOKEN_ALG) throw new Error('unexpected alg');
    kid = header.kid;
  } catch {
    throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN');
  }
  const key = kid ? await keys.publicKey(kid) : undefined;
  if (!key) throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN');
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [TOKEN_ALG],
      issuer: settings.issuer,
      audience: settings.audience,
      requiredClaims: ['exp', 'sub', 'scope'],
      typ: 'at+jwt',
    });
    if (typeof payload.sub !== 'string' || typeof payload.scope !== 'string') throw new Error('bad claims');
    return { clientId: payload.sub, scope: payload.scope };
  } catch {
    throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN');
  }
}
