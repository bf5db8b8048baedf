import { html, type SafeHtml } from './html.ts';
import { layout } from './layout.ts';

/** `next`: the page of ours the browser asked for (checked by safeAdminPath), where login lands. */
export function loginPage(message: string | undefined, next?: string): SafeHtml {
  return layout(
    'hookline status: log in',
    html`
      <h1>hookline status</h1>
      ${message ? html`<p class="problem" role="alert">${message}</p>` : ''}
      <form method="post" action="/admin/login">
        <label for="token">Admin token (ADMIN_TOKEN)</label>
        <input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
        ${next === undefined ? '' : html`<input type="hidden" name="next" value="${next}">`}
        <button type="submit">Log in</button>
      </form>`,
  );
}
