const RISK: Record<string, string> = {
  low: "bg-emerald-100 text-emerald-950",
  medium: "bg-amber-100 text-amber-950",
  high: "bg-red-100 text-red-950",
};

export function RiskBadge({ risk }: { risk: string }) {
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-semibold ${RISK[risk] ?? RISK.low}`}>
      {risk} risk
    </span>
  );
}
