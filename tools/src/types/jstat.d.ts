// The part of jstat (npm "jstat", no types of its own) that core/blame/blame-statistics.ts and core/blame/paired-ratio.ts use.
declare module "jstat" {
  export const jStat: {
    readonly studentt: {
      /** Cumulative distribution function of Student's t with `dof` degrees of freedom. */
      cdf(x: number, dof: number): number;
      /** Quantile function (inverse of the cdf) of Student's t with `dof` degrees of freedom. */
      inv(p: number, dof: number): number;
    };
  };
}
