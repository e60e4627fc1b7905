// Drives a running authgate with the official Directus SDK (@directus/sdk, pinned in
// package.json). tests/e2e/test_directus_sdk.py runs one subcommand at a time, reads the mail in
// between, and asserts on the single JSON line each subcommand prints:
//
//   node flows.mjs login-modes       <url> <email> <password>
//   node flows.mjs static-token      <url> <token>
//   node flows.mjs custom-user       <url> <token>
//   node flows.mjs password-request  <url> <email> [reset_url]
//   node flows.mjs password-reset    <url> <token> <new-password> <email>
//   node flows.mjs register          <url> <email> <password>
//   node flows.mjs register-verify   <url> <token> <email> <password>
//   node flows.mjs invite            <url> <admin-token> <email> <role>
//   node flows.mjs invite-accept     <url> <token> <email> <password>
//   node flows.mjs data-model        <url> <admin-token> <collection> <email> <password>
//   node flows.mjs graphql           <url> <email> <password>
//
// Outcomes are recorded, never thrown: {ok: true, value} or {ok: false, status, code, message}.
// The exit status is 0 whenever the JSON line was printed; assertions live on the Python side.

import {
  acceptUserInvite,
  aggregate,
  authentication,
  createCollection,
  createDirectus,
  createField,
  createItem,
  createItems,
  createPermission,
  createRole,
  createUser,
  deleteCollection,
  deleteItem,
  deletePermission,
  deleteRole,
  deleteUser,
  graphql,
  inviteUser,
  passwordRequest,
  passwordReset,
  readFieldsByCollection,
  readItem,
  readItems,
  readMe,
  readPolicyGlobals,
  readUserPermissions,
  refresh,
  registerUser,
  registerUserVerify,
  rest,
  staticToken,
  updateItem,
  updateMe,
} from '@directus/sdk';

const PUBLIC_POLICY = 'abf8a154-5b1c-4a46-ac9c-7300570f4f17';

// ------------------------------------------------------------------------------------------
// A cookie jar per client: Node's fetch keeps no cookies, a browser would (credentials:
// 'include'). Single origin, so a cookie is kept by name; the Set-Cookie headers are recorded.

function cookieJarFetch() {
  const jar = new Map();
  const log = { setCookies: [], responses: [] };

  async function jarFetch(input, init = {}) {
    const headers = new Headers(init.headers ?? {});
    if (jar.size > 0) {
      headers.set('Cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '));
    }
    const response = await fetch(input, { ...init, headers });
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      log.setCookies.push({ name, value_length: value.length, attributes: attributes.join('; ') });
      let expired = false;
      for (const attribute of attributes) {
        const [key, attributeValue = ''] = attribute.split('=');
        if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      if (expired) jar.delete(name);
      else jar.set(name, value);
    }
    log.responses.push({
      method: init.method ?? 'GET',
      url: String(input),
      status: response.status,
      redirected: response.redirected,
      finalUrl: response.url,
    });
    return response;
  }

  return { fetch: jarFetch, jar, log };
}

function describeError(error) {
  const first = Array.isArray(error?.errors) ? error.errors[0] : undefined;
  return {
    ok: false,
    status: error?.response?.status ?? null,
    code: first?.extensions?.code ?? null,
    message: first?.message ?? error?.message ?? String(error),
  };
}

async function outcome(promise) {
  try {
    const value = await promise;
    return { ok: true, value: value ?? null };
  } catch (error) {
    return describeError(error);
  }
}

function authClient(url, mode) {
  const cookies = cookieJarFetch();
  // The SDK's own storage contract, kept readable so that rotation can be observed.
  let stored = null;
  const storage = {
    get: () => stored,
    set: (value) => {
      stored = value;
    },
  };
  const client = createDirectus(url, { globals: { fetch: cookies.fetch } })
    .with(authentication(mode, { autoRefresh: false, credentials: 'include', storage }))
    .with(rest({ credentials: 'include' }));
  return { client, cookies, storage };
}

function restClient(url) {
  const cookies = cookieJarFetch();
  const client = createDirectus(url, { globals: { fetch: cookies.fetch } }).with(rest());
  return { client, cookies };
}

function summary(data) {
  // What the SDK returned from login/refresh, without the secrets themselves.
  if (!data.ok) return data;
  const value = data.value;
  return {
    ok: true,
    has_access_token: typeof value.access_token === 'string' && value.access_token.length > 0,
    has_refresh_token: typeof value.refresh_token === 'string' && value.refresh_token.length > 0,
    expires: value.expires,
    expires_at_is_number: typeof value.expires_at === 'number',
  };
}

// ------------------------------------------------------------------------------------------

async function loginMode(url, email, password, mode) {
  const { client, cookies, storage } = authClient(url, mode);
  const result = {};
  const login = await outcome(client.login({ email, password }, { mode }));
  result.login = summary(login);
  result.cookies_after_login = [...cookies.jar.keys()];
  result.login_set_cookie = cookies.log.setCookies.slice();
  result.me = await outcome(client.request(readMe({ fields: ['id'] })));
  const before = { ...storage.get() };
  const cookiesBefore = Object.fromEntries(cookies.jar);

  const refreshed = await outcome(client.refresh());
  result.refresh = summary(refreshed);
  const after = { ...storage.get() };
  result.refresh_token_rotated =
    before.refresh_token !== null && after.refresh_token !== null && before.refresh_token !== after.refresh_token;
  result.cookies_rotated = Object.keys(cookiesBefore).filter(
    (name) => cookies.jar.has(name) && cookies.jar.get(name) !== cookiesBefore[name],
  );
  result.refresh_set_cookie = cookies.log.setCookies.slice(result.login_set_cookie.length);
  result.me_after_refresh = await outcome(client.request(readMe({ fields: ['id'] })));

  // The refresh token that the server knows now (json mode: from the SDK's storage).
  const refreshToken = refreshed.ok ? refreshed.value.refresh_token : null;
  result.logout = await outcome(client.logout());
  result.cookies_after_logout = Object.fromEntries(
    [...cookies.jar].map(([name, value]) => [name, value.length]),
  );
  result.token_after_logout = await client.getToken();
  result.me_after_logout = await outcome(client.request(readMe({ fields: ['id'] })));
  if (mode === 'json' && refreshToken) {
    // The logged-out refresh token, replayed by hand.
    result.refresh_after_logout = await outcome(
      client.request(refresh({ mode: 'json', refresh_token: refreshToken })),
    );
  } else {
    result.refresh_after_logout = await outcome(client.refresh());
  }
  return result;
}

const commands = {
  async 'login-modes'(url, email, password) {
    const result = {};
    for (const mode of ['json', 'cookie', 'session']) {
      result[mode] = await loginMode(url, email, password, mode);
    }
    return result;
  },

  async 'static-token'(url, token) {
    const good = createDirectus(url).with(staticToken(token)).with(rest());
    const bad = createDirectus(url).with(staticToken(`${token}-not-it`)).with(rest());
    return {
      me: await outcome(good.request(readMe({ fields: ['id', 'email'] }))),
      wrong_token: await outcome(bad.request(readMe({ fields: ['id'] }))),
    };
  },

  // A user whose only policy reads (and updates) directus_users with *: no app access,
  // nothing on directus_access. What an app does first: readMe() and updateMe().
  async 'custom-user'(url, token) {
    const client = createDirectus(url).with(staticToken(token)).with(rest());
    return {
      me: await outcome(client.request(readMe())),
      updated: await outcome(client.request(updateMe({ last_name: 'Sdk' }))),
      narrowed: await outcome(client.request(updateMe({ title: 'Pilot' }, { fields: ['id', 'title'] }))),
    };
  },

  async 'password-request'(url, email, resetUrl) {
    const { client } = restClient(url);
    return { request: await outcome(client.request(passwordRequest(email, resetUrl || undefined))) };
  },

  async 'password-reset'(url, token, newPassword, email) {
    const { client } = restClient(url);
    const reset = await outcome(client.request(passwordReset(token, newPassword)));
    const { client: fresh } = authClient(url, 'json');
    const login = summary(await outcome(fresh.login({ email, password: newPassword }, { mode: 'json' })));
    const again = await outcome(client.request(passwordReset(token, `${newPassword}-again`)));
    return { reset, login, again };
  },

  async register(url, email, password) {
    const { client } = restClient(url);
    const registered = await outcome(
      client.request(registerUser(email, password, { first_name: 'Sdk', last_name: 'User' })),
    );
    const { client: before } = authClient(url, 'json');
    const login = summary(await outcome(before.login({ email, password }, { mode: 'json' })));
    return { register: registered, login_before_verify: login };
  },

  async 'register-verify'(url, token, email, password) {
    const { client, cookies } = restClient(url);
    const verify = await outcome(client.request(registerUserVerify(token)));
    const responses = cookies.log.responses.slice();
    const { client: after } = authClient(url, 'json');
    const login = summary(await outcome(after.login({ email, password }, { mode: 'json' })));
    const me = login.ok ? await outcome(after.request(readMe({ fields: ['id'] }))) : null;
    return { verify, responses, login, me };
  },

  async invite(url, adminToken, email, role) {
    const admin = createDirectus(url).with(staticToken(adminToken)).with(rest());
    return { invite: await outcome(admin.request(inviteUser(email, role))) };
  },

  async 'invite-accept'(url, token, email, password) {
    const { client } = restClient(url);
    const accept = await outcome(client.request(acceptUserInvite(token, password)));
    const { client: after } = authClient(url, 'json');
    const login = summary(await outcome(after.login({ email, password }, { mode: 'json' })));
    const me = login.ok ? await outcome(after.request(readMe({ fields: ['id', 'email'] }))) : null;
    const again = await outcome(client.request(acceptUserInvite(token, password)));
    return { accept, login, me, again };
  },

  // The data model, items and permissions as an app built on the SDK sets them up: a
  // collection with fields, items read with the query language, the public policy granted
  // read and then revoked, and an app user who only sees the items it created.
  async 'data-model'(url, adminToken, collection, email, password) {
    const admin = createDirectus(url).with(staticToken(adminToken)).with(rest());
    const { client: anonymous } = restClient(url);
    const result = {};
    result.create_collection = await outcome(
      admin.request(
        createCollection({
          collection,
          meta: { note: 'made by the SDK' },
          schema: {},
          fields: [
            { field: 'id', type: 'integer', schema: { is_primary_key: true, has_auto_increment: true } },
            { field: 'title', type: 'string', schema: { is_nullable: false } },
            { field: 'owner', type: 'uuid', meta: { special: ['user-created'] }, schema: {} },
          ],
        }),
      ),
    );
    result.create_field = await outcome(
      admin.request(createField(collection, { field: 'rating', type: 'integer', schema: {} })),
    );
    const fields = await outcome(admin.request(readFieldsByCollection(collection)));
    result.fields = fields.ok ? fields.value.map((f) => [f.field, f.type]) : fields;
    result.create_items = await outcome(
      admin.request(createItems(collection, [{ title: 'low', rating: 1 }, { title: 'high', rating: 5 }, { title: 'mid', rating: 3 }])),
    );
    result.query = await outcome(
      admin.request(readItems(collection, { fields: ['title'], filter: { rating: { _gte: 3 } }, sort: ['-rating'] })),
    );
    result.aggregate = await outcome(
      admin.request(aggregate(collection, { aggregate: { count: '*', max: 'rating' } })),
    );
    const first = result.create_items.ok ? result.create_items.value[0].id : null;
    result.update = await outcome(admin.request(updateItem(collection, first, { rating: 2 }, { fields: ['rating'] })));
    result.invalid = await outcome(admin.request(createItem(collection, { rating: 4 })));

    result.anonymous_before = await outcome(anonymous.request(readItems(collection, { fields: ['title'] })));
    const permission = await outcome(
      admin.request(createPermission({ policy: PUBLIC_POLICY, collection, action: 'read', fields: ['title'] })),
    );
    result.grant = permission.ok ? { ok: true } : permission;
    result.anonymous_granted = await outcome(
      anonymous.request(readItems(collection, { fields: ['title'], sort: ['title'] })),
    );
    result.anonymous_hidden_field = await outcome(anonymous.request(readItems(collection, { fields: ['rating'] })));
    result.revoke = await outcome(admin.request(deletePermission(permission.ok ? permission.value.id : 0)));
    result.anonymous_revoked = await outcome(anonymous.request(readItems(collection, { fields: ['title'] })));

    // An app user who reads and writes only its own items.
    const role = await outcome(
      admin.request(
        createRole({
          name: `SDK writers ${collection}`,
          policies: [{ policy: { name: `SDK writers ${collection}`, app_access: true } }],
        }, { fields: ['id', 'policies.policy'] }),
      ),
    );
    result.role = role.ok ? { ok: true } : role;
    const policy = role.ok ? role.value.policies[0].policy : null;
    const own = { owner: { _eq: '$CURRENT_USER' } };
    for (const action of ['create', 'read', 'update']) {
      const granted = await outcome(
        admin.request(
          createPermission({ policy, collection, action, fields: ['*'], permissions: action === 'create' ? {} : own }),
        ),
      );
      result[`grant_${action}`] = granted.ok ? { ok: true } : granted;
    }
    const user = await outcome(admin.request(createUser({ email, password, role: role.ok ? role.value.id : null })));
    result.user = user.ok ? { ok: true } : user;
    const { client: writer } = authClient(url, 'json');
    result.writer_login = summary(await outcome(writer.login({ email, password }, { mode: 'json' })));
    const mine = await outcome(writer.request(createItem(collection, { title: 'mine', rating: 4 })));
    result.writer_create = mine;
    result.writer_reads = await outcome(writer.request(readItems(collection, { fields: ['title'] })));
    result.writer_other = await outcome(writer.request(readItem(collection, first)));
    result.writer_update_other = await outcome(writer.request(updateItem(collection, first, { title: 'taken' })));
    result.writer_delete_own = await outcome(writer.request(deleteItem(collection, mine.ok ? mine.value.id : 0)));
    const permissions = await outcome(writer.request(readUserPermissions()));
    result.writer_permissions = permissions.ok
      ? Object.fromEntries(
          Object.entries(permissions.value[collection] ?? {}).map(([action, p]) => [action, p.access]),
        )
      : permissions;
    result.writer_globals = await outcome(writer.request(readPolicyGlobals()));

    result.cleanup = [
      await outcome(admin.request(deleteUser(user.ok ? user.value.id : '00000000-0000-0000-0000-000000000000'))),
      await outcome(admin.request(deleteRole(role.ok ? role.value.id : '00000000-0000-0000-0000-000000000000'))),
      await outcome(admin.request(deleteCollection(collection))),
    ].map((r) => r.ok);
    result.after_drop = await outcome(admin.request(readItems(collection)));
    return result;
  },
};

// ------------------------------------------------------------------------------------------
// GraphQL: the SDK's graphql() composable on /graphql/system, with authentication('json')
// holding the access token the auth_* mutations return, as an app built on GraphQL does.

const GQL_LOGIN = `mutation Login($email: String!, $password: String!) {
  auth_login(email: $email, password: $password) { access_token refresh_token expires }
}`;
const GQL_REFRESH = `mutation Refresh($token: String) {
  auth_refresh(refresh_token: $token) { access_token refresh_token expires }
}`;
const GQL_LOGOUT = `mutation Logout($token: String) { auth_logout(refresh_token: $token) }`;
const GQL_ME = `query { users_me { id email } }`;

function graphqlClient(url) {
  const cookies = cookieJarFetch();
  const client = createDirectus(url, { globals: { fetch: cookies.fetch } })
    .with(authentication('json', { autoRefresh: false }))
    .with(graphql());
  return { client, cookies };
}

function tokensSummary(data, field) {
  if (!data.ok) return data;
  const value = data.value[field];
  return {
    ok: true,
    has_access_token: typeof value.access_token === 'string' && value.access_token.length > 0,
    has_refresh_token: typeof value.refresh_token === 'string' && value.refresh_token.length > 0,
    expires: value.expires,
  };
}

commands.graphql = async (url, email, password) => {
  const { client, cookies } = graphqlClient(url);
  const system = (query, variables = {}) => outcome(client.query(query, variables, 'system'));
  const result = {};

  const login = await system(GQL_LOGIN, { email, password });
  result.login = tokensSummary(login, 'auth_login');
  if (login.ok) await client.setToken(login.value.auth_login.access_token);
  result.me = await system(GQL_ME);

  const firstRefresh = login.ok ? login.value.auth_login.refresh_token : null;
  const refreshed = await system(GQL_REFRESH, { token: firstRefresh });
  result.refresh = tokensSummary(refreshed, 'auth_refresh');
  const secondRefresh = refreshed.ok ? refreshed.value.auth_refresh.refresh_token : null;
  result.rotated = secondRefresh !== null && secondRefresh !== firstRefresh;
  // authgate's decision 3: a repeat within the grace period gets the same successor.
  const repeated = await system(GQL_REFRESH, { token: firstRefresh });
  result.repeat_gets_the_same_successor =
    repeated.ok && repeated.value.auth_refresh.refresh_token === secondRefresh;
  if (refreshed.ok) await client.setToken(refreshed.value.auth_refresh.access_token);
  result.me_after_refresh = await system(GQL_ME);

  result.logout = await system(GQL_LOGOUT, { token: secondRefresh });
  result.refresh_after_logout = await system(GQL_REFRESH, { token: secondRefresh });
  await client.setToken(null);
  result.me_anonymous = await system(`query { users_me { id } }`);
  result.wrong_password = await system(GQL_LOGIN, { email, password: `${password}-not-it` });
  result.set_cookies = cookies.log.setCookies.length;
  result.statuses = [...new Set(cookies.log.responses.map((r) => r.status))];
  return result;
};

const [command, ...args] = process.argv.slice(2);
if (!(command in commands)) {
  console.error(`unknown command ${command}; one of: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
const result = await commands[command](...args);
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
