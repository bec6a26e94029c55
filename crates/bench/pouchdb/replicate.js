// The peer side of `make bench BENCH=peer`. Loads the county's records (one JSON document per line) into
// a database on a running pouchdb-server (not timed), then times what a new tablet running PouchDB does
// to get them: replicate the whole database into a fresh local PouchDB (LevelDB on disk), over
// CouchDB's replication protocol. Prints one JSON line with the figures.
//
// usage: node replicate.js <server url> <documents.ndjson> <local directory>
'use strict'
const fs = require('fs')
const readline = require('readline')
const PouchDB = require('pouchdb')

async function main() {
  const [url, file, localDir] = process.argv.slice(2)
  if (!url || !file || !localDir) throw new Error('usage: node replicate.js <server url> <documents.ndjson> <local dir>')
  const remote = new PouchDB(`${url}/county`)
  const t0 = Date.now()
  let batch = []
  let loaded = 0
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })
  for await (const line of lines) {
    if (!line) continue
    batch.push(JSON.parse(line))
    if (batch.length === 2000) {
      await check(await remote.bulkDocs(batch))
      loaded += batch.length
      batch = []
    }
  }
  if (batch.length) {
    await check(await remote.bulkDocs(batch))
    loaded += batch.length
  }
  const loadSeconds = (Date.now() - t0) / 1000

  // Tuned for the peer: large batches and several in flight (PouchDB's defaults are 100 and 10).
  const local = new PouchDB(localDir)
  const t1 = Date.now()
  const result = await local.replicate.from(remote, { batch_size: 1000, batches_limit: 10 })
  const replicateSeconds = (Date.now() - t1) / 1000
  const info = await local.info()
  console.log(JSON.stringify({
    loaded,
    load_seconds: loadSeconds,
    replicate_seconds: replicateSeconds,
    docs_written: result.docs_written,
    local_doc_count: info.doc_count,
    ok: result.ok,
  }))
}

async function check(results) {
  const bad = results.find((r) => r.error)
  if (bad) throw new Error(`bulkDocs refused a document: ${JSON.stringify(bad)}`)
}

main().catch((e) => {
  console.error(e.stack || String(e))
  process.exit(1)
})
