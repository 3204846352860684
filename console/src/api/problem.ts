// Problem details: the code the console shares with the portal.
export * from '../../../web-shared/problem';
