import type { DbBool, DbTime } from './schema.js'

// The one place where SQLite's and PostgreSQL's representations meet: both accept ISO text and 0/1 on the
// way in; on the way out SQLite gives text and integers, PostgreSQL gives Date and boolean.

export const toDbTime = (date: Date): string => date.toISOString()

export function fromDbTime(value: DbTime): Date
export function fromDbTime(value: DbTime | null): Date | null
export function fromDbTime(value: DbTime | null): Date | null {
  return value === null ? null : new Date(value)
}

export const toDbBool = (value: boolean): number => (value ? 1 : 0)

export const fromDbBool = (value: DbBool): boolean => value === true || value === 1
