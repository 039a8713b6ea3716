// Starts GraphiQL. Settings come from this script element's attributes:
// the page's Content-Security-Policy allows no inline script.
(function () {
  'use strict';
  var me = document.currentScript;
  var endpoint = me.dataset.endpoint;
  // Radix UI (inside graphiql.min.js) adds <style> elements when a dialog
  // opens and stamps them with this global, the nonce the CSP allows.
  window.__webpack_nonce__ = me.nonce;
  var ws = (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + endpoint;
  // The headers tab's JSON is sent with every HTTP request and, for
  // subscriptions, as the connection_init payload ({"Authorization": "Bearer …"}).
  var fetcher = GraphiQL.createFetcher({ url: location.origin + endpoint, subscriptionUrl: ws });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: false,
    }),
  );
})();
