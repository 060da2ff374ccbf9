import type { ParamProblem } from '@/lib/api/params';

/** URL parameters the page could not use (it went on without them), so a typo does not pass unnoticed. */
export function ParamProblems({ problems }: { problems: ParamProblem[] }) {
  if (!problems.length) return null;
  return (
    <p className="error" role="alert" data-testid="param-problems">
      Ignored {problems.map((p, i) => <span key={p.param}>{i > 0 && '; '}<code>{p.param}</code>: {p.message}</span>)}
    </p>
  );
}
