// autocannon ships no types; the bench uses a small part of its API (bench/lib/load.ts).
declare module 'autocannon' {
  const autocannon: any;
  export default autocannon;
}
