// Symbol.dispose for `using`: Node has it from 20.4 (and 18.18) as
// Symbol.for("nodejs.dispose"); on older ones, define it the same way, as
// the TC39 proposal's polyfills do, so `using client = new GovreportClient()`
// works on every Node the package supports (>= 20.3).
for (const [name, key] of [
  ["dispose", "nodejs.dispose"],
  ["asyncDispose", "nodejs.asyncDispose"],
] as const) {
  if (typeof (Symbol as unknown as Record<string, unknown>)[name] !== "symbol") {
    Object.defineProperty(Symbol, name, { value: Symbol.for(key), configurable: false, enumerable: false, writable: false });
  }
}

export {};
