import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { userEnvironment } from '../../src/cli.js';
import { ROOT } from '../helpers/term.js';

describe('userEnvironment: what workers inherit', () => {
  it('drops the NODE_ENV that the launcher set, and keeps one the user set', () => {
    expect(userEnvironment({ NODE_ENV: 'production', WORKERDECK_NODE_ENV_SET: '1', PATH: '/usr/bin' })).toEqual({ PATH: '/usr/bin' });
    expect(userEnvironment({ NODE_ENV: 'development', PATH: '/usr/bin' })).toEqual({ NODE_ENV: 'development', PATH: '/usr/bin' });
    expect(userEnvironment({ FORCE_COLOR: '3', WORKERDECK_FORCE_COLOR_SET: '1', PATH: '/usr/bin' })).toEqual({ PATH: '/usr/bin' });
    expect(userEnvironment({ FORCE_COLOR: '1', PATH: '/usr/bin' })).toEqual({ FORCE_COLOR: '1', PATH: '/usr/bin' });
  });

  it("removes npm start's node_modules/.bin entries from PATH, and nothing else", () => {
    const bin = path.join(ROOT, 'node_modules', '.bin');
    const parentBin = path.join(path.dirname(ROOT), 'node_modules', '.bin');
    const env = {
      npm_lifecycle_event: 'start',
      npm_package_name: 'workerdeck',
      PATH: [bin, parentBin, '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin', '/home/u/bin', '/usr/bin'].join(':'),
    };
    expect(userEnvironment(env).PATH).toBe('/home/u/bin:/usr/bin');
    // Outside npm start (npm test, a user's shell) PATH is left alone.
    expect(userEnvironment({ ...env, npm_lifecycle_event: 'test' }).PATH).toBe(env.PATH);
  });
});
