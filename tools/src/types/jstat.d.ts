// The part of jstat (npm "jstat", no types of its own) that core/blame-statistics.ts uses.
declare module "jstat" {
  export const jStat: {
    readonly studentt: {
      /** Cumulative distribution function of Student's t with `dof` degrees of freedom. */
      cdf(x: number, dof: number): number;
    };
  };
}
