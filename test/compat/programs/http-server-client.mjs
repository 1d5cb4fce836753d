// The client side of the server rows: Node's keep-alive agent, so a second
// request reuses the connection the server accepted.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true });
export const get = (port, path = '/') =>
  new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (response) => response.resume().on('end', resolve)).on('error', reject);
  });
