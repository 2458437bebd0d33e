export * from './binance-candles.js';
