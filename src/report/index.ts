/** Reports: the Table-5 layout table, its Markdown/LaTeX/CSV/JSON/SVG renderings, shard slices and merging. */
export {
  buildTable,
  cellAt,
  cellNumbers,
  columnLabel,
  formatCell,
  methodLabel,
  tableNoteParts,
  tableNotes,
  type Emphasis,
  type Inference,
  type ResultsTable,
  type SeedResult,
  type SourcedResults,
  type TableCell,
  type TableColumn,
  type TableNote,
  type TableOptions,
  type TableRow,
} from './table.js';
export { publishedAccuracy } from './published.js';
export { TABLE_FORMATS, TABLE_JSON_FORMAT, TABLE_JSON_VERSION, escapeLatex, renderCsv, renderJson, renderLatex, renderMarkdown, renderTable, tableDocument, type TableFormat } from './render.js';
export { backendLabel, currentSoftware, resultsCommit, trainingSeed, type Software } from './provenance.js';
export { escapeXml, renderPlot } from './svg.js';
export { collectCurves, collectResults, findResults, readResults, type FoundResults, type TrainingCurve } from './collect.js';
export { SLICE_FILE, SLICE_FORMAT, parseShard, readSliceInfo, shardLabel, shardRange, sliceManifest, stampSlice, writeSliceInfo, type ManifestSlice, type Shard, type SliceInfo } from './slice.js';
export { coversWholeManifest, mergeSlices, modelIdentity, type SlicePart } from './merge.js';
export { REPORT_FILES, writeReports } from './write.js';
