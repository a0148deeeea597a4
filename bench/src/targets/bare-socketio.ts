/**
 * The transport's limit: a bare Socket.IO server with the Redis adapter that broadcasts each
 * message to its room, with nothing else in the path. Run as its own process by the benchmark:
 * `bare-socketio.ts <port> <redis port>`.
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const [port, redisPort] = process.argv.slice(2).map(Number);
const publisher = new Redis({ host: '127.0.0.1', port: redisPort });
const subscriber = publisher.duplicate();
const io = new Server({ serveClient: false, adapter: createAdapter(publisher, subscriber) });

io.on('connection', (socket) => {
  socket.on('join', (rooms: unknown, ack: unknown) => {
    if (Array.isArray(rooms)) void socket.join(rooms.filter((r): r is string => typeof r === 'string'));
    if (typeof ack === 'function') ack();
  });
  socket.on('send', (room: unknown, body: unknown) => {
    if (typeof room === 'string' && typeof body === 'string') io.to(room).emit('message', body);
  });
});

const server = createServer();
io.attach(server);
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  io.close();
  publisher.disconnect();
  subscriber.disconnect();
  process.exit(0);
});
