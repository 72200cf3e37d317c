// Every flow again with the server on PostgreSQL (a fresh database, dropped afterwards).
import { defineFlows } from './flows.js'

defineFlows('postgres')
