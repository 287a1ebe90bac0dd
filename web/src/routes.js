// Hash routes (svelte-spa-router): the server needs no fallback route. Every view is its own
// chunk, loaded when first visited; the initial bundle is the shell, auth and the router.
// To add a view: create src/views/Name.svelte and add a line here (and a nav link in App.svelte).
import { wrap } from 'svelte-spa-router/wrap';
import { signedIn } from './lib/auth.js';
import Loading from './components/Loading.svelte';

const auth = () => signedIn();
const view = (load, needsAuth = true) =>
  wrap({ asyncComponent: load, loadingComponent: Loading, conditions: needsAuth ? [auth] : [] });

export const PUBLIC = ['/signin', '/signup', '/verify', '/forgot', '/reset', '/about'];

export const routes = {
  '/': view(() => import('./views/Overview.svelte')),
  '/signin': view(() => import('./views/SignIn.svelte'), false),
  '/signup': view(() => import('./views/SignUp.svelte'), false),
  '/verify': view(() => import('./views/Verify.svelte'), false),
  '/forgot': view(() => import('./views/Forgot.svelte'), false),
  '/reset': view(() => import('./views/Reset.svelte'), false),
  '/p/:id': view(() => import('./views/Holdings.svelte')),
  '/p/:id/holding/:symbol': view(() => import('./views/Holding.svelte')),
  '/p/:id/performance': view(() => import('./views/Performance.svelte')),
  '/p/:id/allocation': view(() => import('./views/Allocation.svelte')),
  '/p/:id/transactions': view(() => import('./views/Transactions.svelte')),
  '/p/:id/income': view(() => import('./views/Income.svelte')),
  '/p/:id/statements': view(() => import('./views/Statements.svelte')),
  '/p/:id/settings': view(() => import('./views/PortfolioSettings.svelte')),
  '/watchlists': view(() => import('./views/Watchlists.svelte')),
  '/notifications': view(() => import('./views/Notifications.svelte')),
  '/goals': view(() => import('./views/Goals.svelte')),
  '/settings': view(() => import('./views/Settings.svelte')),
  '/advisor': view(() => import('./views/Advisor.svelte')),
  '/admin': view(() => import('./views/Admin.svelte')),
  '/about': view(() => import('./views/About.svelte'), false),
  '*': view(() => import('./views/NotFound.svelte'), false),
};
