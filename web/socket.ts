/// <reference lib="dom" />
/** The live stream from /ws, reconnecting after a second when the server goes away. */
import type { ServerMessage } from './protocol.ts';

export function connect(onMessage: (m: ServerMessage) => void, onStatus: (connected: boolean) => void): void {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const ws = new WebSocket(url);
  ws.onopen = () => onStatus(true);
  ws.onmessage = (ev) => onMessage(JSON.parse(String(ev.data)) as ServerMessage);
  ws.onclose = () => {
    onStatus(false);
    setTimeout(() => connect(onMessage, onStatus), 1000);
  };
}
