import { useEffect, useState } from 'react';
import { api, describeError, session } from '../api/http';
import type { Session } from '../api/types';
import { Link } from '../app/Link';
import { navigate, useLocation } from '../app/router';
import { ActionForm, Field, text } from './forms';

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox/.test(ua)
    ? 'Firefox'
    : /Edg\//.test(ua)
      ? 'Edge'
      : /Chrom/.test(ua)
        ? 'Chrome'
        : 'Browser';
  const os = /Android/.test(ua)
    ? 'Android'
    : /iPhone|iPad/.test(ua)
      ? 'iOS'
      : /Mac/.test(ua)
        ? 'macOS'
        : /Windows/.test(ua)
          ? 'Windows'
          : 'Linux';
  return `${browser} on ${os}`;
}

async function logIn(login: string, password: string): Promise<void> {
  const s = await api<Session>('/sessions', {
    body: { login, password, deviceName: deviceName() },
    anonymous: true,
  });
  session.set(s);
  navigate('/', true);
}

/** Whether a third-party provider is configured, as the auth service says. */
function useOidcAvailable(): boolean {
  const [available, setAvailable] = useState(false);
  useEffect(() => {
    let live = true;
    api<{ configured: boolean }>('/sessions/oidc', { anonymous: true })
      .then((res) => live && setAvailable(res.configured === true))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return available;
}

function AuthFrame(props: { title: string; children: React.ReactNode }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          Parley
        </p>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </main>
  );
}

export function LoginPage() {
  const oidc = useOidcAvailable();
  return (
    <AuthFrame title="Log in">
      <ActionForm
        label="Log in"
        submit="Log in"
        action={(d) => logIn(text(d, 'login'), String(d.get('password')))}
      >
        <Field label="Username or email" name="login" autoComplete="username" />
        <Field label="Password" name="password" type="password" autoComplete="current-password" />
      </ActionForm>
      {oidc && (
        <p>
          <a
            className="button secondary"
            href={`/api/v1/sessions/oidc/authorize?deviceName=${encodeURIComponent(deviceName())}`}
          >
            Log in with your organisation
          </a>
        </p>
      )}
      <p>
        <Link href="/register">Create an account</Link> ·{' '}
        <Link href="/reset-password">Forgot your password?</Link>
      </p>
    </AuthFrame>
  );
}

export function RegisterPage() {
  return (
    <AuthFrame title="Create an account">
      <ActionForm
        label="Create an account"
        submit="Create account"
        action={async (d) => {
          const phone = text(d, 'phone');
          await api('/accounts', {
            anonymous: true,
            body: {
              username: text(d, 'username'),
              displayName: text(d, 'displayName'),
              email: text(d, 'email'),
              password: String(d.get('password')),
              ...(phone ? { phone } : {}),
            },
          });
          await logIn(text(d, 'username'), String(d.get('password')));
        }}
      >
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          pattern="[A-Za-z0-9_.]{3,32}"
          hint="3 to 32 letters, digits, _ or ."
        />
        <Field label="Display name" name="displayName" autoComplete="name" maxLength={64} />
        <Field label="Email" name="email" type="email" autoComplete="email" />
        <Field
          label="Phone (optional)"
          name="phone"
          type="tel"
          autoComplete="tel"
          required={false}
          pattern="\+[1-9][0-9]{1,14}"
          hint="International format, such as +14155550100"
        />
        <Field label="Password" name="password" type="password" autoComplete="new-password" minLength={8} />
      </ActionForm>
      <p>
        Have an account? <Link href="/login">Log in</Link>
      </p>
    </AuthFrame>
  );
}

/** The token of an emailed link, which travels in the fragment (never sent to a server by the browser). */
function linkToken(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}

export function VerifyEmailPage() {
  const { hash } = useLocation();
  const [state, setState] = useState<'working' | 'done' | string>('working');
  useEffect(() => {
    const token = linkToken(hash);
    if (!token) {
      setState('This link has no token. Open the link from the email again.');
      return;
    }
    api('/accounts/email-verification', { body: { token }, anonymous: true }).then(
      () => setState('done'),
      (err: unknown) => setState(describeError(err)),
    );
  }, [hash]);
  return (
    <AuthFrame title="Verify your email">
      <p role="status">
        {state === 'working' ? 'Verifying…' : state === 'done' ? 'Your email address is verified.' : state}
      </p>
      <p>
        <Link href="/">Continue to Parley</Link>
      </p>
    </AuthFrame>
  );
}

export function ResetPasswordPage() {
  const { hash } = useLocation();
  const token = linkToken(hash);
  const [done, setDone] = useState<string | null>(null);
  if (done) {
    return (
      <AuthFrame title="Reset your password">
        <p role="status">{done}</p>
        <p>
          <Link href="/login">Log in</Link>
        </p>
      </AuthFrame>
    );
  }
  return (
    <AuthFrame title={token ? 'Choose a new password' : 'Reset your password'}>
      {token ? (
        <ActionForm
          label="Choose a new password"
          submit="Set password"
          action={async (d) => {
            await api('/accounts/password-reset', {
              anonymous: true,
              body: { token, password: String(d.get('password')) },
            });
            session.set(null);
            setDone('Your password is set. Every device was logged out; log in again.');
          }}
        >
          <Field
            label="New password"
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={8}
          />
        </ActionForm>
      ) : (
        <ActionForm
          label="Request a reset link"
          submit="Email me a link"
          action={async (d) => {
            await api('/accounts/password-reset-requests', {
              anonymous: true,
              body: { email: text(d, 'email') },
            });
            setDone('If an account uses that address, a link to reset its password is on its way.');
          }}
        >
          <Field label="Email" name="email" type="email" autoComplete="email" />
        </ActionForm>
      )}
    </AuthFrame>
  );
}

/**
 * Where the provider sends the browser back when the platform's OIDC redirect URI points at the
 * web app (`/oidc/callback`): the query is handed to the API, which answers with a session.
 */
export function OidcCallbackPage() {
  const { search } = useLocation();
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<Session>(`/sessions/oidc/callback?${search.toString()}`, { anonymous: true }).then(
      (s) => {
        session.set(s);
        navigate('/', true);
      },
      (err: unknown) => setError(describeError(err)),
    );
    // The code works once; run once per page.
  }, []);
  return (
    <AuthFrame title="Logging you in">
      <p role={error ? 'alert' : 'status'}>{error ?? 'One moment…'}</p>
      {error && <Link href="/login">Back to log in</Link>}
    </AuthFrame>
  );
}
