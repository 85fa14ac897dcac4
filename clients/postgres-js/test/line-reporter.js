// A node:test reporter that writes one line per finished test, for
// tests/client/PostgresJsContractTest.java, which turns each into a JUnit test
// so that `./jbang test@kodiai` counts them. Five fields separated by tabs
// (none of them holds a tab or a line break):
//   pass|fail|skip  milliseconds  file  suite > test  message (why it failed or was skipped)
// A suite (describe) is not a test; it gets a line only when it fails by itself
// (a failing before/after hook), and a file only when it fails outside any test
// (it cannot be imported). Usage:
//   node --test --test-reporter=./test/line-reporter.js --test-reporter-destination=out.txt test/a.test.js ...

import { basename } from 'node:path'

function message(error) {
  if (!error) return ''
  const cause = error.cause ?? error // node wraps a test's error in ERR_TEST_FAILURE
  const text = cause instanceof Error ? `${cause.name === 'Error' ? '' : cause.name + ': '}${cause.message}` : String(cause)
  return text.replace(/\s+/g, ' ').trim()
}

const field = (x) => String(x).replace(/[\t\r\n]+/g, ' ')

export default async function * lines(source) {
  const path = [] // names of the open suites, by nesting level
  const children = [] // per nesting level: did the entry at that level have children?
  const stderr = new Map() // file -> its last lines on stderr (why a file could not load)
  for await (const event of source) {
    if (event.type === 'test:stderr' || event.type === 'test:stdout') {
      const lines = stderr.get(event.data.file) ?? []
      lines.push(...String(event.data.message).split('\n').filter((l) => l.trim() && !/^\s+at |^Node\.js v/.test(l)))
      stderr.set(event.data.file, lines.slice(-4))
      continue
    }
    if (event.type !== 'test:start' && event.type !== 'test:pass' && event.type !== 'test:fail') continue
    const { name, nesting = 0, file, details = {}, skip, todo } = event.data
    if (event.type === 'test:start') {
      path[nesting] = name
      path.length = nesting + 1
      children[nesting] = false
      if (nesting > 0) children[nesting - 1] = true
      continue
    }
    const container = details.type ? details.type === 'suite' : children[nesting] === true
    const fileLevel = nesting === 0 && file && name === file
    if ((container || fileLevel) && event.type === 'test:pass') continue
    // a suite that failed because its tests did: those are counted already
    if (container && event.type === 'test:fail' && /^\d+ subtests? failed$|cancelled|did not finish/.test(message(details.error))) continue
    const status = event.type === 'test:fail' ? 'fail' : skip !== undefined || todo !== undefined ? 'skip' : 'pass'
    const why = status === 'pass' ? ''
      : status === 'skip' ? (typeof skip === 'string' ? skip : typeof todo === 'string' ? todo : 'skipped')
        : fileLevel ? [message(details.error), ...(stderr.get(file) ?? [])].join(' | ') : message(details.error)
    const title = fileLevel ? '(loading the file)' : [...path.slice(0, nesting), name].join(' > ')
    yield [status, Math.round(details.duration_ms ?? 0), file ? basename(file) : '', title, why].map(field).join('\t') + '\n'
  }
}
