export {};
export * from './synthetic.js';
