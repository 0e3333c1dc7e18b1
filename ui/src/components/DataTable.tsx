import type { ReactNode } from "react";

/** The frame every list page's table shares: scrolls sideways on a narrow screen, a caption for screen
 * readers, column headers; the rows are the page's own. */
export function DataTable({
  testId,
  caption,
  columns,
  alignTop = false,
  children,
}: {
  testId: string;
  caption: string;
  columns: string[];
  alignTop?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full text-sm" data-testid={testId}>
        <caption className="sr-only">{caption}</caption>
        <thead className="bg-slate-100 text-left">
          <tr>
            {columns.map((name) => (
              <th key={name} scope="col" className="px-3 py-2">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className={alignTop ? "divide-y divide-slate-200 align-top" : "divide-y divide-slate-200"}>
          {children}
        </tbody>
      </table>
    </div>
  );
}
