// Express 4 is installed under an alias to test both majors; its API matches the Express types used here.
declare module 'express4' {
  import express from 'express'
  export default express
}
