// Every flow, on SQLite (the default database).
import { defineFlows } from './flows.js'

defineFlows('sqlite')
