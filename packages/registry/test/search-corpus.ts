/**
 * A seeded corpus for search quality: hand-written packages that queries aim at, plus
 * generated ones that share their vocabulary (decoys), 200+ in all. The queries are written
 * the way a person types them, not copied from the ids.
 */
export interface CorpusPackage {
  id: string;
  name: string;
  description: string;
  keywords: string[];
  kind: 'operator' | 'instrument' | 'motif';
}

const T = (id: string, name: string, description: string, keywords: string[], kind: CorpusPackage['kind'] = 'operator'): CorpusPackage => ({ id, name, description, keywords, kind });

export const TARGETS: CorpusPackage[] = [
  T('acme.csv-parser', 'CSV Parser', 'Parse CSV files into typed records with header detection and streaming', ['csv', 'parse', 'tabular']),
  T('tabula.csv-writer', 'CSV Writer', 'Write records to CSV files with quoting and custom delimiters', ['csv', 'export', 'write']),
  T('pixel.image-resize', 'Image Resizer', 'Resize, crop and thumbnail PNG and JPEG images', ['image', 'resize', 'thumbnail']),
  T('vision.image-classify', 'Image Classifier', 'Classify photos into labels with an ONNX vision model', ['image', 'classification', 'onnx'], 'instrument'),
  T('voxa.transcribe', 'Transcribe', 'Speech to text transcription of audio recordings', ['speech', 'audio', 'transcription'], 'instrument'),
  T('lingo.translate', 'Translator', 'Translate text between languages with a neural translation model', ['translation', 'language', 'i18n'], 'instrument'),
  T('brief.summarize', 'Summarizer', 'Summarize long documents into short abstracts', ['summary', 'nlp', 'text'], 'instrument'),
  T('mood.sentiment', 'Sentiment', 'Detect positive or negative sentiment in reviews and comments', ['sentiment', 'nlp', 'classification'], 'instrument'),
  T('gitkit.blame', 'Git Blame', 'Show who changed each line of a file in a git repository', ['git', 'blame', 'history']),
  T('hub.pull-requests', 'Pull Requests', 'List, review and merge GitHub pull requests', ['github', 'pull-request', 'review']),
  T('chat.slack-notify', 'Slack Notify', 'Send messages and alerts to Slack channels', ['slack', 'notification', 'chat']),
  T('mailer.smtp', 'SMTP Mailer', 'Send email through any SMTP server with attachments', ['email', 'smtp', 'mail']),
  T('db.postgres', 'Postgres Client', 'Run SQL queries against PostgreSQL databases', ['sql', 'postgres', 'database']),
  T('db.sqlite', 'SQLite', 'Embedded SQLite database: query and migrate local files', ['sql', 'sqlite', 'database']),
  T('cloud.s3-upload', 'S3 Upload', 'Upload and download objects from Amazon S3 buckets', ['s3', 'storage', 'aws']),
  T('zipper.archive', 'Archiver', 'Create and extract zip and tar.gz archives', ['zip', 'archive', 'compression']),
  T('docs.markdown', 'Markdown Renderer', 'Render Markdown to HTML with syntax highlighting', ['markdown', 'html', 'render'], 'motif'),
  T('scrape.html', 'HTML Scraper', 'Scrape web pages and extract content with CSS selectors', ['scraping', 'html', 'crawler']),
  T('viz.charts', 'Charts', 'Line, bar and pie charts for dashboards', ['chart', 'visualization', 'dashboard'], 'motif'),
  T('viz.data-table', 'Data Table', 'Sortable, filterable data grid component', ['table', 'grid', 'ui'], 'motif'),
  T('crypt.encrypt', 'Encrypt', 'Encrypt and decrypt files with AES-256-GCM', ['encryption', 'aes', 'security']),
  T('ops.cron', 'Cron Scheduler', 'Schedule recurring jobs with cron expressions', ['cron', 'schedule', 'jobs']),
  T('ops.docker', 'Docker', 'Build images and manage Docker containers', ['docker', 'containers', 'devops']),
  T('ocr.tesseract', 'OCR', 'Extract text from scanned documents and images with optical character recognition', ['ocr', 'scan', 'text'], 'instrument'),
  T('vec.embeddings', 'Embeddings', 'Compute sentence embeddings for semantic search', ['embeddings', 'vectors', 'semantic'], 'instrument'),
  T('vec.similarity', 'Vector Search', 'Nearest neighbour search over vector indexes', ['vector', 'similarity', 'ann']),
  T('geo.geocode', 'Geocoder', 'Turn addresses into latitude and longitude coordinates', ['maps', 'geocoding', 'location']),
  T('fin.currency', 'Currency', 'Convert amounts between currencies with daily exchange rates', ['currency', 'exchange', 'money']),
  T('feeds.rss', 'RSS Reader', 'Fetch and parse RSS and Atom news feeds', ['rss', 'atom', 'feeds']),
  T('theme.dark', 'Dark Theme', 'A dark colour theme for the Symphony UI', ['theme', 'dark', 'colors'], 'motif'),
  T('pdf.extract', 'PDF Extract', 'Extract text and tables from PDF documents', ['pdf', 'extract', 'documents']),
  T('yaml.tools', 'YAML Tools', 'Parse, validate and convert YAML configuration', ['yaml', 'config', 'parse']),
];

/** [query, expected id] — the expected package must appear in the top 3. */
export const QUERIES: Array<[string, string]> = [
  ['parse csv', 'acme.csv-parser'],
  ['write csv file', 'tabula.csv-writer'],
  ['resize images', 'pixel.image-resize'],
  ['classify images', 'vision.image-classify'],
  ['speech to text', 'voxa.transcribe'],
  ['translate text to french', 'lingo.translate'],
  ['summarise documents', 'brief.summarize'],
  ['sentiment of reviews', 'mood.sentiment'],
  ['who changed this line git', 'gitkit.blame'],
  ['github pull request review', 'hub.pull-requests'],
  ['send slack message', 'chat.slack-notify'],
  ['send email', 'mailer.smtp'],
  ['postgresql query', 'db.postgres'],
  ['sqlite database', 'db.sqlite'],
  ['upload to s3 bucket', 'cloud.s3-upload'],
  ['extract zip archive', 'zipper.archive'],
  ['markdown to html', 'docs.markdown'],
  ['scrape web page', 'scrape.html'],
  ['bar chart', 'viz.charts'],
  ['sortable table grid', 'viz.data-table'],
  ['aes encryption', 'crypt.encrypt'],
  ['schedule cron jobs', 'ops.cron'],
  ['docker containers', 'ops.docker'],
  ['ocr scanned documents', 'ocr.tesseract'],
  ['sentence embeddings', 'vec.embeddings'],
  ['nearest neighbour vector search', 'vec.similarity'],
  ['address to coordinates', 'geo.geocode'],
  ['exchange rates', 'fin.currency'],
  ['rss feed reader', 'feeds.rss'],
  ['dark theme', 'theme.dark'],
  ['text from pdf', 'pdf.extract'],
  ['validate yaml config', 'yaml.tools'],
];

/**
 * Written after the ranking was tuned on QUERIES (a coordination factor was added then) and
 * never tuned against: an honest check that the ranking was not fitted to the first list.
 */
export const HELD_OUT_QUERIES: Array<[string, string]> = [
  ['thumbnail png', 'pixel.image-resize'],
  ['audio transcription', 'voxa.transcribe'],
  ['merge pull requests on github', 'hub.pull-requests'],
  ['zip files', 'zipper.archive'],
  ['latitude longitude', 'geo.geocode'],
  ['atom news', 'feeds.rss'],
  ['optical character recognition', 'ocr.tesseract'],
  ['run sql on postgres', 'db.postgres'],
  ['crawl html pages', 'scrape.html'],
  ['negative comments', 'mood.sentiment'],
];

// Decoys reuse the targets' words in other combinations, so a query has competition.
const PUBLISHERS = ['north', 'south', 'blue', 'red', 'orbit', 'delta', 'kite', 'maple', 'quartz', 'river', 'ember', 'lumen'];
const SUBJECTS = ['csv', 'json', 'image', 'audio', 'text', 'email', 'sql', 'git', 'log', 'metrics', 'pdf', 'html', 'yaml', 'xml', 'video', 'chart', 'table', 'vector', 'file', 'queue', 'cache', 'token', 'date', 'color', 'url'];
const VERBS = ['lint', 'format', 'validate', 'convert', 'diff', 'merge', 'split', 'watch', 'sync', 'inspect', 'compress', 'sample', 'filter', 'sort', 'dedupe', 'tag', 'index', 'monitor', 'annotate', 'preview'];
const EXTRAS = ['fast', 'streaming', 'incremental', 'offline', 'typed', 'batch', 'lightweight', 'configurable', 'parallel', 'safe'];

/** Deterministic: a small LCG so the corpus is the same on every run. */
export function generateDecoys(count: number, seed = 7): CorpusPackage[] {
  let state = seed;
  const next = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const out: CorpusPackage[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const publisher = PUBLISHERS[next(PUBLISHERS.length)] as string;
    const subject = SUBJECTS[next(SUBJECTS.length)] as string;
    const verb = VERBS[next(VERBS.length)] as string;
    const extra = EXTRAS[next(EXTRAS.length)] as string;
    const other = SUBJECTS[next(SUBJECTS.length)] as string;
    const id = `${publisher}.${subject}-${verb}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const kind = (['operator', 'instrument', 'motif'] as const)[next(3)] ?? 'operator';
    out.push({
      id,
      name: `${subject} ${verb}`,
      description: `A ${extra} tool to ${verb} ${subject} data, with ${other} support`,
      keywords: [subject, verb, other],
      kind,
    });
  }
  return out;
}
