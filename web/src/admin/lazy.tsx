// Pages loaded when first shown (their own script, fetched once): the first visit downloads only the sign-in, the
// bots list and what every page shares, and the charts, the builder, the team and the rest come when opened.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Alert, Loading } from './ui';

export function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let page: ComponentType<P> | null = null;
  let loading: Promise<ComponentType<P>> | null = null;
  return function LazyPage(props: P) {
    const [, setLoaded] = useState(page !== null);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (page) return;
      loading ??= load();
      loading
        .then((loaded) => {
          page = loaded;
          setLoaded(true);
        })
        .catch(() => {
          loading = null; // tried again the next time the page is opened
          setFailed(true);
        });
    }, []);
    if (failed) return <Alert message="This page could not be loaded. Check your connection and reload." />;
    const Page = page;
    return Page ? <Page {...props} /> : <Loading />;
  };
}
